import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { describeTable } from "../src/table/describeTable";
import { ensureTable } from "../src/table/ensureTable";
import { reconcileTable } from "../src/table/reconcileTable";
import { createStreamHandler, streamMarkerPartition, type StreamChange } from "../src/stream/streamHandler";
import { localStreamMapping, type StreamFailure } from "../src/testing/localStreamMapping";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "../src/testing/tables";

// A consumer of its own: a running count of the "ORDER#" items, kept on one total item.
const { client, documentClient } = localClients();
const tableName = uniqueTableName("stream");
process.env.TABLE_NAME = tableName;
const TOTAL = { pk: "TOTAL", sk: "orders" };

const handled: string[] = [];
const handler = createStreamHandler({
  migrations: [],
  consumer: "order-count",
  writes(change: StreamChange, { tableName }) {
    if (!String(change.keys.pk).startsWith("ORDER#") || change.event === "MODIFY") return [];
    handled.push(`${change.event} ${String(change.keys.pk)}`);
    if ((change.after ?? change.before)?.poison) throw new Error("this order cannot be counted");
    const delta = change.event === "INSERT" ? 1 : -1;
    return [
      {
        Update: {
          TableName: tableName,
          Key: TOTAL,
          UpdateExpression: "ADD #n :d",
          ExpressionAttributeNames: { "#n": "n" },
          ExpressionAttributeValues: { ":d": delta },
        },
      },
    ];
  },
});

let streamArn: string;
beforeAll(async () => {
  await ensureTable({ client, tableName });
  await reconcileTable({ client, tableName, settings: { stream: "NEW_AND_OLD_IMAGES" }, apply: true });
  streamArn = (await describeTable(client, tableName))!.LatestStreamArn!;
});
beforeEach(() => void (handled.length = 0));
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

// Where each test's mapping starts: where the previous one stopped, as a restarted local consumer does.
const positions = new Map<string, string>();
const position = { get: (shard: string) => positions.get(shard), set: (shard: string, sequence: string) => void positions.set(shard, sequence) };

const total = async () => Number((await documentClient.send(new GetCommand({ TableName: tableName, Key: TOTAL, ConsistentRead: true }))).Item?.n ?? 0);
const order = (id: string, extra: Record<string, unknown> = {}) =>
  documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: `ORDER#${id}`, sk: "ORDER", ...extra } }));

function mapping(failures: StreamFailure[], options: { batchSize?: number; seen?: DynamoDBStreamEvent[] } = {}) {
  return localStreamMapping({
    endpoint: localEndpoint(),
    streamArn,
    position,
    batchSize: options.batchSize ?? 10,
    maximumRetryAttempts: 2,
    handler: (event) => {
      options.seen?.push(event);
      return handler(event);
    },
    onFailure: (failure) => void failures.push(failure),
  });
}

describe("a stream consumer on DynamoDB Local's stream, with the event source mapping's semantics", () => {
  it("counts every record once, sends a poisoned one to the failure destination alone and handles the rest of its batch", async () => {
    await order("1");
    await order("2");
    await order("3", { poison: true });
    await order("4");
    await documentClient.send(new DeleteCommand({ TableName: tableName, Key: { pk: "ORDER#1", sk: "ORDER" } }));

    const failures: StreamFailure[] = [];
    const seen: DynamoDBStreamEvent[] = [];
    const local = mapping(failures, { seen });
    const result = await local.drain();
    await local.stop();

    expect(await total()).toBe(2); // 1, 2, 4 inserted, 1 removed; 3 refused
    expect(failures).toHaveLength(1);
    const poisoned = seen.flatMap((e) => e.Records).find((r) => r.dynamodb?.Keys?.pk?.S === "ORDER#3")!;
    expect(failures[0]!.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: poisoned.dynamodb!.SequenceNumber,
      endSequenceNumber: poisoned.dynamodb!.SequenceNumber,
      batchSize: 1,
      streamArn,
    });
    expect(failures[0]!.requestContext).toMatchObject({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 });
    expect(seen[0]!.Records).toHaveLength(5);
    expect(result.failed).toBe(1);
    // Records are handed over in stream order, and nothing after the poisoned record ran before it was given up.
    expect(handled).toEqual([
      "INSERT ORDER#1",
      "INSERT ORDER#2",
      // In the batch of 5 (3 left after it), bisected to 2, then alone: a first try and 2 retries.
      ...Array(5).fill("INSERT ORDER#3"),
      "INSERT ORDER#4",
      "REMOVE ORDER#1",
    ]);
  });

  it("gives a redelivered batch no second effect: each record's marker is written with its effect, in one transaction", async () => {
    await order("5");
    await order("6");
    const failures: StreamFailure[] = [];
    const seen: DynamoDBStreamEvent[] = [];
    const local = mapping(failures, { seen });
    await local.drain();
    const before = await total();
    const batch = seen.find((e) => e.Records.some((r) => r.dynamodb?.Keys?.pk?.S === "ORDER#5"))!;

    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(await total()).toBe(before);

    const markers = await documentClient.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": streamMarkerPartition("order-count") } }),
    );
    const eventIds = batch.Records.filter((r) => r.dynamodb?.Keys?.pk?.S?.startsWith("ORDER#")).map((r) => r.eventID);
    expect(markers.Items!.map((m) => m.sk)).toEqual(expect.arrayContaining(eventIds));
    expect(markers.Items!.every((m) => typeof m.expiresAt === "number" && m.expiresAt > Date.now() / 1000 + 24 * 3600)).toBe(true);

    // The markers' own records are on the stream too: the consumer skips them and reports nothing.
    const again = await local.drain();
    await local.stop();
    expect(again.failed).toBe(0);
    expect(failures).toEqual([]);
    expect(await total()).toBe(before);
  });

  it("stops at the first record that fails, so a later one is never applied ahead of it, and reports that record", async () => {
    await order("7");
    await order("8", { poison: true });
    await order("9");
    const seen: DynamoDBStreamEvent[] = [];
    const before = await total();
    // One invocation, as Lambda would make it, then no retry.
    const local = localStreamMapping({
      endpoint: localEndpoint(),
      streamArn,
      position,
      batchSize: 10,
      maximumRetryAttempts: 0,
      bisectBatchOnFunctionError: false,
      handler: async (event) => {
        const fresh = { Records: event.Records.filter((r) => ["ORDER#7", "ORDER#8", "ORDER#9"].includes(r.dynamodb?.Keys?.pk?.S ?? "")) };
        if (fresh.Records.length === 3) seen.push(fresh);
        return handler(event);
      },
      onFailure: () => {},
    });
    await local.drain();
    await local.stop();

    const response = await handler(seen[0]!);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seen[0]!.Records[1]!.dynamodb!.SequenceNumber }] });
    expect(await total()).toBe(before + 1); // 7 counted; 8 refused, so 9 waited and was given up with it
  });

  it("stops before a record when the invocation is nearly out of time, keeping what it did and reporting where to resume", async () => {
    await order("10");
    await order("11");
    const seen: DynamoDBStreamEvent[] = [];
    const local = mapping([], { seen });
    await local.drain();
    await local.stop();
    const batch = { Records: seen.flatMap((e) => e.Records).filter((r) => ["ORDER#10", "ORDER#11"].includes(r.dynamodb?.Keys?.pk?.S ?? "")) };
    let left = 19_000;
    const context = { functionName: "order-count", getRemainingTimeInMillis: () => (left -= 9_000) }; // 1 s left at the second record
    const before = await total();
    // Both were counted by the drain; delivered again with too little time for the second, the first is found done.
    expect(await handler(batch, context)).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[1]!.dynamodb!.SequenceNumber }] });
    expect(await total()).toBe(before);
  });
});
