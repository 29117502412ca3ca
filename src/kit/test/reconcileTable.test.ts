import { DescribeTimeToLiveCommand, UpdateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describeTable } from "../src/table/describeTable";
import { ensureTable } from "../src/table/ensureTable";
import { reconcileTable, type TableSettings } from "../src/table/reconcileTable";
import { addGlobalSecondaryIndex } from "../src/table/globalSecondaryIndex";
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

/**
 * Point-in-time recovery as AWS answers it, at the client boundary: DynamoDB Local has no continuous backups (its
 * DescribeContinuousBackups fails), so these two commands alone are answered here; every other request reaches it.
 */
function continuousBackups(on: DynamoDBClient, status: "ENABLED" | "DISABLED", update: "accept" | "deny" = "accept") {
  const updates: unknown[] = [];
  const name = `continuous-backups-${Math.random()}`;
  on.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "DescribeContinuousBackupsCommand") {
        return { output: { ContinuousBackupsDescription: { PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: status } } }, response: {} } as never;
      }
      if (context.commandName === "UpdateContinuousBackupsCommand") {
        updates.push(args.input);
        if (update === "deny") throw Object.assign(new Error("not authorized to perform: dynamodb:UpdateContinuousBackups"), { name: "AccessDeniedException" });
        return { output: {}, response: {} } as never;
      }
      return next(args);
    },
    { step: "initialize", name },
  );
  return { updates, remove: () => on.middlewareStack.remove(name) };
}

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

  it("never turns deletion protection off, whatever is declared: it says who may and how, and the table stays protected", async () => {
    const tableName = await freshTable();
    await reconcileTable({ client, tableName, settings: { deletionProtection: true }, apply: true });
    const requests = countRequests(client);
    const [report] = await reconcileTable({ client, tableName, settings: { deletionProtection: false }, apply: true });
    requests.stop();
    expect(report).toMatchObject({ setting: "deletion protection", status: "drift", actual: "on", declared: "off" });
    expect(report?.note).toContain("never turned off by a deploy");
    expect(report?.note).toContain(
      `an administrator of the account turns it off by hand (aws dynamodb update-table --table-name ${tableName} --no-deletion-protection-enabled)`,
    );
    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
    expect((await describeTable(client, tableName))?.DeletionProtectionEnabled).toBe(true);
  });

  it("turns point-in-time recovery on, and never off: declared off, it stays on and the report says who may turn it off", async () => {
    const tableName = await freshTable();
    const enabled = continuousBackups(client, "ENABLED");
    try {
      const [kept] = await reconcileTable({ client, tableName, settings: { pointInTimeRecovery: false }, apply: true });
      expect(kept).toMatchObject({ setting: "point-in-time recovery", status: "drift", actual: "on", declared: "off" });
      expect(kept?.note).toContain("--point-in-time-recovery-specification PointInTimeRecoveryEnabled=false");
      expect(enabled.updates).toEqual([]);
    } finally {
      enabled.remove();
    }
    const disabled = continuousBackups(client, "DISABLED");
    try {
      const [on] = await reconcileTable({ client, tableName, settings: { pointInTimeRecovery: true }, apply: true });
      expect(on).toMatchObject({ status: "updated", actual: "off", declared: "on" });
      expect(disabled.updates).toEqual([{ TableName: tableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }]);
    } finally {
      disabled.remove();
    }
  });

  it("reports a setting these credentials may not change as drift for an administrator, and goes on with the others", async () => {
    const tableName = await freshTable();
    const denied = continuousBackups(client, "DISABLED", "deny");
    try {
      const reports = await reconcileTable({ client, tableName, settings: { pointInTimeRecovery: true, ttlAttribute: "expiresAt" }, apply: true });
      expect(reports.map((r) => [r.setting, r.status, r.note, r.denied])).toEqual([
        ["point-in-time recovery", "drift", "these credentials may not change it; an administrator applies it", true],
        ["TTL attribute", "updated", undefined, undefined],
      ]);
    } finally {
      denied.remove();
    }
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

  it("holds every index to the table's on-demand maximum: a new index takes it, and one without it is drift, sent the table's", async () => {
    const tableName = await freshTable();
    const key = (name: string) => ({ name, partitionKey: { name: `${name}Pk`, type: "S" as const } });
    await addGlobalSecondaryIndex({ client, tableName, index: key("older") }); // made before the table had a maximum
    const ceiling = { onDemandMaximum: { readRequestUnits: 1000, writeRequestUnits: 500 } };
    const [before] = await reconcileTable({ client, tableName, settings: ceiling, apply: false });
    expect(before).toMatchObject({ status: "drift", actual: "none; index older: none", declared: "read 1000/s, write 500/s" });

    const requests = countRequests(client);
    const [applied] = await reconcileTable({ client, tableName, settings: ceiling, apply: true });
    requests.stop();
    const updates = requests.inputs("UpdateTable") as { OnDemandThroughput?: unknown; GlobalSecondaryIndexUpdates?: unknown }[];
    const maximum = { MaxReadRequestUnits: 1000, MaxWriteRequestUnits: 500 };
    expect(updates.map((u) => u.OnDemandThroughput ?? u.GlobalSecondaryIndexUpdates)).toEqual([
      [{ Update: { IndexName: "older", OnDemandThroughput: maximum } }],
      maximum,
    ]);
    expect((await describeTable(client, tableName))?.OnDemandThroughput).toEqual(maximum);
    // DynamoDB Local accepts an index's maximum only when the index is created (probed: an update is answered, then ignored).
    expect(applied?.status === "updated" || applied?.note?.includes("this endpoint kept the maximum of index older")).toBe(true);

    await addGlobalSecondaryIndex({ client, tableName, index: key("newer") });
    const newer = (await describeTable(client, tableName))?.GlobalSecondaryIndexes?.find((i) => i.IndexName === "newer");
    expect(newer?.OnDemandThroughput).toEqual(maximum);
  });
});
