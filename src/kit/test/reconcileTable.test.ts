import { DescribeTimeToLiveCommand, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { describeTable } from "../src/table/describeTable";
import { ensureTable } from "../src/table/ensureTable";
import { reconcileTable, type TableSettings } from "../src/table/reconcileTable";
import { countRequests } from "../src/testing/requestCounter";
import { localClients, deleteTable, uniqueTableName, WRITE_OPERATIONS } from "../src/testing/tables";

const { client } = localClients();
const tables: string[] = [];
async function freshTable(): Promise<string> {
  const tableName = uniqueTableName("reconcile");
  tables.push(tableName);
  await ensureTable({ client, tableName });
  return tableName;
}
afterAll(async () => {
  for (const TableName of tables) {
    await client.send(new UpdateTableCommand({ TableName, DeletionProtectionEnabled: false })).catch(() => {});
    await deleteTable(client, TableName);
  }
  client.destroy();
});

const ttlOf = async (TableName: string) => (await client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
const declared: TableSettings = {
  deletionProtection: true,
  ttlAttribute: "expiresAt",
  pointInTimeRecovery: true,
  encryption: "aws-managed",
  onDemandMaximum: { readRequestUnits: 4000, writeRequestUnits: 2000 },
  tags: { team: "core" },
};

describe("reconcileTable", () => {
  it("reports drift without changing anything when not applying, and says what this endpoint cannot do", async () => {
    const tableName = await freshTable();
    const requests = countRequests(client);
    const reports = await reconcileTable({ client, tableName, settings: declared, apply: false });
    requests.stop();

    expect(reports).toEqual([
      { setting: "point-in-time recovery", status: "unsupported", actual: "unknown", declared: "on", note: "this endpoint does not support it; skipped" },
      { setting: "deletion protection", status: "drift", actual: "off", declared: "on" },
      { setting: "TTL attribute", status: "drift", actual: "off", declared: "expiresAt" },
      { setting: "encryption", status: "drift", actual: "aws-owned", declared: "aws-managed" },
      { setting: "on-demand maximum", status: "drift", actual: "none", declared: "read 4000/s, write 2000/s" },
      { setting: "tags", status: "unsupported", actual: "unknown", declared: "team=core", note: "this endpoint does not support it; skipped" },
    ]);
    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
    expect((await describeTable(client, tableName))?.DeletionProtectionEnabled).toBeFalsy();
    expect((await ttlOf(tableName))?.TimeToLiveStatus).toBe("DISABLED");
  });

  it("applies deletion protection and TTL, then finds everything in sync and writes nothing", async () => {
    const tableName = await freshTable();
    const settings: TableSettings = { deletionProtection: true, ttlAttribute: "expiresAt" };
    const first = await reconcileTable({ client, tableName, settings, apply: true });
    expect(first.map((r) => [r.setting, r.status])).toEqual([
      ["deletion protection", "updated"],
      ["TTL attribute", "updated"],
    ]);
    expect((await describeTable(client, tableName))?.DeletionProtectionEnabled).toBe(true);
    expect(await ttlOf(tableName)).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });

    const requests = countRequests(client);
    const second = await reconcileTable({ client, tableName, settings, apply: true });
    requests.stop();
    expect(second.map((r) => r.status)).toEqual(["in sync", "in sync"]);
    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
  });

  it("does not move TTL to another attribute in one step, which AWS refuses; it says how instead", async () => {
    const tableName = await freshTable();
    await reconcileTable({ client, tableName, settings: { ttlAttribute: "expiresAt" }, apply: true });
    const [report] = await reconcileTable({ client, tableName, settings: { ttlAttribute: "deleteAfter" }, apply: true });

    expect(report).toMatchObject({ setting: "TTL attribute", status: "drift", actual: "expiresAt", declared: "deleteAfter" });
    expect(report?.note).toContain("set ttlAttribute to null, deploy, wait an hour");
    expect(await ttlOf(tableName)).toMatchObject({ AttributeName: "expiresAt" });
  });

  it("turns the stream on with the declared view, leaves it alone once in sync, refuses to switch views in one step, and turns it off", async () => {
    const tableName = await freshTable();
    const on = await reconcileTable({ client, tableName, settings: { stream: "NEW_AND_OLD_IMAGES" }, apply: true });
    expect(on.map((r) => [r.setting, r.status, r.actual, r.declared])).toEqual([["stream", "updated", "off", "NEW_AND_OLD_IMAGES"]]);
    const table = await describeTable(client, tableName);
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });

    const requests = countRequests(client);
    expect((await reconcileTable({ client, tableName, settings: { stream: "NEW_AND_OLD_IMAGES" }, apply: true }))[0]!.status).toBe("in sync");
    const [switched] = await reconcileTable({ client, tableName, settings: { stream: "KEYS_ONLY" }, apply: true });
    requests.stop();
    expect(switched).toMatchObject({ status: "drift", actual: "NEW_AND_OLD_IMAGES", declared: "KEYS_ONLY" });
    expect(switched?.note).toContain('declare null, deploy (every consumer stops reading), then declare "KEYS_ONLY"');
    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
    expect((await describeTable(client, tableName))?.LatestStreamArn).toBe(table?.LatestStreamArn);

    await reconcileTable({ client, tableName, settings: { stream: null }, apply: true });
    expect((await describeTable(client, tableName))?.StreamSpecification?.StreamEnabled).toBeFalsy();
  });

  it("turns TTL off when declared null", async () => {
    const tableName = await freshTable();
    await reconcileTable({ client, tableName, settings: { ttlAttribute: "expiresAt" }, apply: true });
    await reconcileTable({ client, tableName, settings: { ttlAttribute: null }, apply: true });
    expect((await ttlOf(tableName))?.TimeToLiveStatus).toBe("DISABLED");
  });

  it("sets the on-demand maximum, a ceiling on what a flood of requests can cost, and removes it when declared null", async () => {
    const tableName = await freshTable();
    const ceiling = { onDemandMaximum: { readRequestUnits: 1000, writeRequestUnits: 500 } };
    expect((await reconcileTable({ client, tableName, settings: ceiling, apply: true })).map((r) => [r.setting, r.status, r.declared])).toEqual([
      ["on-demand maximum", "updated", "read 1000/s, write 500/s"],
    ]);
    expect((await describeTable(client, tableName))?.OnDemandThroughput).toEqual({ MaxReadRequestUnits: 1000, MaxWriteRequestUnits: 500 });
    expect((await reconcileTable({ client, tableName, settings: ceiling, apply: true }))[0]!.status).toBe("in sync");
    const removed = await reconcileTable({ client, tableName, settings: { onDemandMaximum: null }, apply: true });
    expect(removed.map((r) => [r.status, r.actual, r.declared])).toEqual([["updated", "read 1000/s, write 500/s", "none"]]);
    expect((await reconcileTable({ client, tableName, settings: { onDemandMaximum: null }, apply: true }))[0]!.status).toBe("in sync");
  });
});
