/**
 * make restore-drill, end to end on DynamoDB Local with the fixture app: the local copy, and the AWS path with only
 * the two calls DynamoDB Local does not have (DescribeContinuousBackups, RestoreTableToPointInTime) answered at the
 * client's boundary; everything else (the scratch table, its settings, connect(), the built API's reads, the counts,
 * the deletion) runs for real. And the drill fails, deleting its scratch table, when the restored table is wrong.
 */
import { DeleteCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { DescribeContinuousBackupsCommand, ListTablesCommand, RestoreTableToPointInTimeCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LOCAL_REGION, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { localCopySource, restoreDrill, type DrillSource } from "../src/drill/restoreDrill";
import { pointInTimeSource } from "../src/aws/restoreTable";
import { withLoadStack, type Stack } from "../src/measure/load";
import { FIXTURE } from "./support/functions";

const drillTables = async (client: DynamoDBClient) => ((await client.send(new ListTablesCommand({}))).TableNames ?? []).filter((t) => t.includes("-drill-"));

/** A source whose scratch table is changed by `spoil` once made: what a bad restore would hand over. */
const spoiled = (source: DrillSource, spoil: (scratch: string) => Promise<void>): DrillSource => ({
  ...source,
  async start(scratch, log) {
    await source.start(scratch, log);
    await spoil(scratch);
  },
});

describe("make restore-drill", () => {
  it("copies the local table, checks and times the copy, serves the walkthrough's reads from it and deletes it; and fails on a copy that lost an item or its migrations", async () => {
    await withLoadStack(async (stack: Stack) => {
      const client = createClient({ region: LOCAL_REGION, endpoint: stack.endpoint });
      const documentClient = createDocumentClient(client);
      try {
        const lines: string[] = [];
        const source = localCopySource(client, stack.tableName, stack.endpoint, LOCAL_REGION);
        const report = await restoreDrill({ deployment: "local", source, settings: { ttlAttribute: "expiresAt" }, log: (l) => lines.push(l), p: FIXTURE });
        expect(report.items.scratch).toBe(report.items.source);
        expect(report.items.source).toBeGreaterThan(2); // the load setup's items and the migrations' records
        expect(report.requests[0]).toEqual({ request: "GET /health", status: 200 });
        expect(report.requests.every((r) => r.status < 500)).toBe(true);
        expect(report.restoreMs).toBeGreaterThan(0);
        expect(report.readyMs).toBeGreaterThanOrEqual(report.restoreMs);
        expect(lines.join("\n")).toMatch(/restore drill passed: restored in [\d.]+ s, serving in [\d.]+ s/);
        expect(lines.join("\n")).toContain("TTL attribute: updated (off -> expiresAt)");
        expect(await drillTables(client)).toEqual([]);

        // A copy one item short.
        const lost = spoiled(source, async (scratch) => {
          const { Items } = await documentClient.send(
            new QueryCommand({ TableName: scratch, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "_migrations" }, Limit: 1 }),
          );
          const [item] = Items ?? [];
          await documentClient.send(new DeleteCommand({ TableName: scratch, Key: { pk: item!.pk, sk: item!.sk } }));
        });
        await expect(restoreDrill({ deployment: "local", source: lost, settings: {}, log: () => {}, p: FIXTURE, tolerance: 0 })).rejects.toThrow(
          /the migrations this code expects|pending migration/,
        );
        expect(await drillTables(client)).toEqual([]);

        // A copy with every migration recorded, one of the app's items fewer: the counts disagree.
        const short = spoiled(source, async (scratch) => {
          const { Items } = await documentClient.send(new ScanCommand({ TableName: scratch, ConsistentRead: true }));
          const item = (Items ?? []).find((i) => !String(i.pk).startsWith("_"));
          await documentClient.send(new DeleteCommand({ TableName: scratch, Key: { pk: item!.pk, sk: item!.sk } }));
        });
        await expect(restoreDrill({ deployment: "local", source: short, settings: {}, log: () => {}, p: FIXTURE, tolerance: 0 })).rejects.toThrow(
          `the scratch table holds ${report.items.source - 1} item(s) and "${stack.tableName}" ${report.items.source}: more apart than the 0%`,
        );
        expect(await drillTables(client)).toEqual([]);
      } finally {
        client.destroy();
      }
    }, FIXTURE);
  }, 240_000); // three drills, each building the API: a guard against a hang, not a speed target

  it("restores on AWS only from point-in-time recovery: refuses without it, saying how to turn it on, and otherwise restores at the latest restorable time", async () => {
    await withLoadStack(async (stack: Stack) => {
      const client = createClient({ region: LOCAL_REGION, endpoint: stack.endpoint });
      const local = localCopySource(client, stack.tableName, stack.endpoint, LOCAL_REGION);
      const real = client.send.bind(client);
      const sent: string[] = [];
      let pitr = "DISABLED";
      // The two calls DynamoDB Local lacks, answered here; the restore itself made as the local copy makes it.
      jest.spyOn(client, "send").mockImplementation((async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push(command.constructor.name);
        if (command instanceof DescribeContinuousBackupsCommand) {
          const latest = new Date();
          return {
            ContinuousBackupsDescription: {
              ContinuousBackupsStatus: pitr,
              PointInTimeRecoveryDescription: {
                PointInTimeRecoveryStatus: pitr,
                LatestRestorableDateTime: latest,
                EarliestRestorableDateTime: new Date(latest.getTime() - 86_400_000),
              },
            },
          };
        }
        if (command instanceof RestoreTableToPointInTimeCommand) {
          expect(command.input).toEqual({
            SourceTableName: stack.tableName,
            TargetTableName: expect.stringMatching(new RegExp(`^${stack.tableName}-drill-\\d{12}-[0-9a-f]{6}$`)),
            UseLatestRestorableTime: true,
            BillingModeOverride: "PAY_PER_REQUEST",
          });
          await local.start(command.input.TargetTableName as string, () => {});
          return {};
        }
        return real(command as never);
      }) as never);
      try {
        const source = { ...pointInTimeSource(client, stack.tableName, LOCAL_REGION, "prod", {}), env: local.env };
        await expect(restoreDrill({ deployment: "prod", source, settings: {}, log: () => {}, p: FIXTURE })).rejects.toThrow(
          'point-in-time recovery is disabled for table "' +
            stack.tableName +
            '": there is nothing to restore from. Set "table": { "pointInTimeRecovery": true } for deployment "prod"',
        );
        expect(sent).toEqual(["DescribeContinuousBackupsCommand"]); // refused before anything was built, restored or created

        pitr = "ENABLED";
        const lines: string[] = [];
        const report = await restoreDrill({
          deployment: "prod",
          source,
          settings: { deletionProtection: true, pointInTimeRecovery: true },
          log: (l) => lines.push(l),
          p: FIXTURE,
        });
        expect(report.method).toBe("point-in-time restore");
        expect(report.of).toMatch(/^its latest restorable time, \d{4}-/);
        expect(report.items.scratch).toBe(report.items.source);
        expect(sent.filter((c) => c === "RestoreTableToPointInTimeCommand")).toHaveLength(1);
        expect(sent.filter((c) => c === "DeleteTableCommand")).toHaveLength(1);
        expect(lines.join("\n")).toContain("deletion protection: in sync (off)"); // never turned on for a scratch table
        expect(await drillTables(client)).toEqual([]);
      } finally {
        jest.restoreAllMocks();
        client.destroy();
      }
    }, FIXTURE);
  }, 120_000);
});
