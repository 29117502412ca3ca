/**
 * The distributed backfill's worker, one segment per call, against DynamoDB Local: it rewrites its segment as the
 * in-process backfill does, returns before its time runs out and carries on from its checkpoint on the next call,
 * and refuses a migration it does not know and a run whose lock is no longer held by the run's owner.
 */
import { PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { ConfigError, MigrationLockLostError } from "../src/errors";
import { createBackfillWorker } from "../src/data/backfillWorker";
import { readCheckpoints } from "../src/data/backfillCheckpoints";
import { migrationLock } from "../src/migrations/migrationLock";
import type { Migration } from "../src/migrations/migration";
import { ensureTable } from "../src/table/ensureTable";
import { deleteTable, localClients, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tableName = uniqueTableName("backfill-worker");
const ITEMS = 400;
const doubled: Migration = {
  name: "0001-doubled",
  backfill: {
    filter: { FilterExpression: "begins_with(pk, :p) AND attribute_not_exists(doubled)", ExpressionAttributeValues: { ":p": "ITEM#" } },
    transform: (item) => ({ ...item, doubled: Number(item.n) * 2 }),
    pageSize: 25,
  },
  async down() {},
};
const lock = migrationLock({ documentClient: admin.documentClient, tableName, owner: "deploy-1", leaseMs: 60_000 });
const worker = createBackfillWorker({ migrations: [doubled], client: admin.client, tableName, marginMs: 0 });
const plenty = { getRemainingTimeInMillis: () => 600_000, awsRequestId: "r1" };

beforeAll(async () => {
  await ensureTable({ client: admin.client, tableName });
  for (let n = 0; n < ITEMS; n++) await admin.documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: `ITEM#${n}`, sk: "ITEM", n } }));
  await lock.acquire();
}, 60_000);
afterAll(async () => {
  await lock.release();
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

const rewritten = async () =>
  ((await admin.documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? []).filter((i) => i.doubled !== undefined);

describe("the backfill worker", () => {
  it("stops when its time is up with the segment not done, and finishes it on the next call from its checkpoint", async () => {
    const task = { migration: "0001-doubled", segment: 0, totalSegments: 2, lockOwner: "deploy-1" };
    // No time left beyond the margin: one page, checkpointed, and back.
    const first = await worker(task, { getRemainingTimeInMillis: () => 0, awsRequestId: "r0" });
    expect(first).toMatchObject({ ...task, done: false });
    expect(first.scanned).toBeGreaterThan(0);
    const [checkpoint] = await readCheckpoints(admin.documentClient, tableName, "0001-doubled");
    expect(checkpoint).toMatchObject({ segment: 0, totalSegments: 2, done: false });

    const second = await worker(task, plenty);
    expect(second.done).toBe(true);
    const other = await worker({ ...task, segment: 1 }, plenty);
    expect(other.done).toBe(true);
    const items = await rewritten();
    expect(items.length).toBe(ITEMS);
    expect(items.every((i) => i.doubled === Number(i.n) * 2)).toBe(true);
    // A call on a done segment does nothing more.
    expect(await worker(task, plenty)).toMatchObject({ done: true, written: 0 });
  });

  it("refuses a migration it does not know, one without a backfill, a malformed task, and a run whose lock owner is not the holder", async () => {
    await expect(worker({ migration: "0009-gone", segment: 0, totalSegments: 2, lockOwner: "deploy-1" }, plenty)).rejects.toThrow(ConfigError);
    const plain = createBackfillWorker({ migrations: [{ name: "0002-plain", up: async () => {}, down: async () => {} }], client: admin.client, tableName });
    await expect(plain({ migration: "0002-plain", segment: 0, totalSegments: 1, lockOwner: "deploy-1" }, plenty)).rejects.toThrow("declares no backfill");
    await expect(worker({ migration: "0001-doubled", segment: 2, totalSegments: 2, lockOwner: "deploy-1" }, plenty)).rejects.toThrow("a backfill task is");
    await expect(worker({ migration: "0001-doubled", segment: 0, totalSegments: 2, lockOwner: "deploy-0" }, plenty)).rejects.toThrow(MigrationLockLostError);
  });
});
