import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import fc from "fast-check";
import { connect, type StreamHandler } from "@dynamodb-starter/kit/runtime";
import { describeTable, ensureTable, reconcileTable } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, localEndpoint, localStreamMapping, uniqueTableName, type StreamFailure } from "@dynamodb-starter/kit/testing";
import { keys } from "../../src/app/model";
import { migrations } from "../../src/app/migrations";
import { handler as memberCounts } from "../../src/handlers/memberCounts";

// Seeded and reproducible; `make fuzz` raises the run count (FUZZ_RUNS) and can replay a seed (FUZZ_SEED).
const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_RUNS ?? 200) / 20));
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);

const { client, documentClient } = localClients();
const tableName = uniqueTableName("member-counts");
process.env.TABLE_NAME = tableName;
let streamArn: string;

beforeAll(async () => {
  await ensureTable({ client, tableName });
  await reconcileTable({ client, tableName, settings: { stream: "NEW_AND_OLD_IMAGES" }, apply: true });
  streamArn = (await describeTable(client, tableName))!.LatestStreamArn!;
  await connect({ migrations }); // applied once, as a deploy's pre-step would
});
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

// Each run carries on reading the stream where the previous one stopped, as the deployed consumer does.
const positions = new Map<string, string>();
const position = { get: (shard: string) => positions.get(shard), set: (shard: string, sequence: string) => void positions.set(shard, sequence) };

const operation = fc.record({ add: fc.boolean(), company: fc.nat({ max: 2 }), user: fc.nat({ max: 4 }), role: fc.constantFrom("member", "admin") });
/** How each of the first deliveries goes: well, delivered twice, or the function fails after its writes (delivered again). */
const mishap = fc.constantFrom("none", "none", "twice", "fail-after");

async function recount(company: string): Promise<{ members: number; counted: number }> {
  const members = await documentClient.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :member)",
      ExpressionAttributeValues: { ":pk": keys.companyPartition(company), ":member": keys.MEMBER_PREFIX },
      Select: "COUNT",
      ConsistentRead: true,
    }),
  );
  const stats = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: keys.companyStats(keys.companyPartition(company)), ConsistentRead: true }),
  );
  return { members: members.Count ?? 0, counted: Number(stats.Item?.memberCount ?? 0) };
}

let run = 0;
describe("the member count kept from the stream (src/handlers/memberCounts.ts)", () => {
  it("always equals a recount of the memberships, whatever inserts and removes came, in whatever batches, delivered twice or retried", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operation, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(mishap, { minLength: 1, maxLength: 8 }),
        async (operations, batchSize, mishaps) => {
          run++;
          const company = (i: number) => `run${run}-c${i}`;
          for (const { add, company: c, user, role } of operations) {
            const key = keys.membership(company(c), `u${user}@example.com`);
            // A put of an existing membership with another role is a MODIFY (no change in count); a delete of a missing one writes no record.
            if (add) await documentClient.send(new PutCommand({ TableName: tableName, Item: { ...key, role, company: company(c) } }));
            else await documentClient.send(new DeleteCommand({ TableName: tableName, Key: key }));
          }

          let invocation = 0;
          const failures: StreamFailure[] = [];
          const consumer: StreamHandler = async (event: DynamoDBStreamEvent) => {
            const context = { functionName: "member-counts-property" };
            const how = mishaps[invocation++] ?? "none"; // then deliveries go well: the mapping gets past every batch
            const response = await memberCounts(event, context);
            if (how === "twice") return memberCounts(event, context);
            if (how === "fail-after") throw new Error("the function failed after its writes");
            return response;
          };
          const mapping = localStreamMapping({
            endpoint: localEndpoint(),
            streamArn,
            position,
            batchSize,
            maximumRetryAttempts: 10_000,
            handler: consumer,
            onFailure: (failure) => void failures.push(failure),
          });
          await mapping.drain();
          await mapping.stop();

          expect(failures).toEqual([]);
          for (const c of [0, 1, 2]) {
            const { members, counted } = await recount(company(c));
            expect({ company: company(c), counted }).toEqual({ company: company(c), counted: members });
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
