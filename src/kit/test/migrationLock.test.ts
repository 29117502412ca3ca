import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoMigrationStorage } from "../src/migrations/migrationStorage";
import { ensureTable } from "../src/table/ensureTable";
import { MigrationLockLostError, MigrationLockTimeoutError } from "../src/errors";
import { migrationLock } from "../src/migrations/migrationLock";
import { localClients, deleteTable, uniqueTableName } from "../src/testing/tables";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("lock");
const lockOf = (owner: string, leaseMs = 60_000, waitTimeoutMs = 10_000) => migrationLock({ documentClient, tableName, owner, leaseMs, waitTimeoutMs });
const stored = async () =>
  (await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }))).Item;

beforeAll(() => ensureTable({ client, tableName }));
afterEach(() => lockOf("cleanup").forceRelease());
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("migrationLock", () => {
  it("admits one owner at a time: a waiter gets the lock only after the holder releases it", async () => {
    const a = lockOf("a");
    const b = lockOf("b");
    expect(await a.acquire()).toBe(true);
    expect(await stored()).toMatchObject({ owner: "a" });

    const waiting = b.acquire().then((ok) => ({ ok, at: Date.now() }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const releasedAt = Date.now();
    await a.release();

    const { ok, at } = await waiting;
    expect(ok).toBe(true);
    expect(at).toBeGreaterThanOrEqual(releasedAt);
    expect(await stored()).toMatchObject({ owner: "b" });
    await b.release();
    expect(await stored()).toBeUndefined();
  });

  it("keeps a live holder's lease renewed past its length, so a waiter times out naming the holder", async () => {
    // A lease of a second, heartbeats every third of it: a busy machine (a type check beside the tests) can stall
    // this process for a few hundred milliseconds without the holder losing the lease.
    const holder = lockOf("long-runner", 1_000);
    await holder.acquire();
    const firstVersion = (await stored())?.rvn;

    const waiter = lockOf("impatient", 1_000, 2_500);
    const attempt = waiter.acquire();
    await expect(attempt).rejects.toThrow(MigrationLockTimeoutError);
    await expect(attempt).rejects.toThrow("held by long-runner");

    expect((await stored())?.rvn).not.toBe(firstVersion); // the holder's heartbeats moved the version
    expect(() => holder.assertHeld()).not.toThrow();
    await holder.release();
  });

  it("lets a waiter give up without the lock when the work it waited for is done", async () => {
    const holder = lockOf("holder");
    await holder.acquire();
    const waiter = lockOf("waiter");
    expect(await waiter.acquire({ giveUpWhen: async () => true })).toBe(false);
    expect(await stored()).toMatchObject({ owner: "holder" });
    await holder.release();
  });

  it("tells a holder it lost the lock once another owner took it, and does not delete the new owner's lock", async () => {
    const old = lockOf("old", 300);
    await old.acquire();
    await old.forceRelease(); // an operator's "make migrate-unlock"
    const next = lockOf("next");
    await next.acquire();
    await new Promise((resolve) => setTimeout(resolve, 250)); // old's heartbeat finds the item no longer his

    expect(() => old.assertHeld()).toThrow(MigrationLockLostError);
    await old.release();
    expect(await stored()).toMatchObject({ owner: "next" });
    await next.release();
  });

  it("fences records: once another owner holds the lock, the old holder's record is refused and nothing is written", async () => {
    const old = lockOf("old", 60_000);
    await old.acquire();
    const storage = dynamoMigrationStorage({ documentClient, tableName, lock: old });
    await storage.logMigration({ name: "m-before", context: undefined });

    await old.forceRelease(); // as if its lease had been taken over
    const next = lockOf("next");
    await next.acquire();
    await expect(storage.logMigration({ name: "m-after", context: undefined })).rejects.toThrow(MigrationLockLostError);
    expect(await dynamoMigrationStorage({ documentClient, tableName }).executed({ context: undefined })).toEqual(["m-before"]);
    await next.release();
    await old.release();
  });

  it("aborts the holder's signal at the first heartbeat that finds another owner", async () => {
    const old = lockOf("old", 300);
    await old.acquire();
    expect(old.signal.aborted).toBe(false);
    await old.forceRelease();
    await lockOf("next").acquire();
    await new Promise((resolve) => setTimeout(resolve, 250)); // more than one heartbeat (every 100 ms)
    expect(old.signal.aborted).toBe(true);
    expect(old.signal.reason).toBeInstanceOf(MigrationLockLostError);
  });

  it("takes a silent holder's lock only after watching its version unchanged for a whole lease, on the waiter's own clock", async () => {
    // A lock item whose version never moves: its holder is gone. Its clock, and ours, say nothing about it.
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: "_migrations", sk: "lock", owner: "gone", rvn: "v1", leaseMs: 1_000, acquiredAt: "2099-01-01T00:00:00.000Z" },
      }),
    );
    const started = performance.now();
    const waiter = lockOf("waiter", 60_000);
    expect(await waiter.acquire()).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await stored()).toMatchObject({ owner: "waiter", leaseMs: 60_000 });
    await waiter.release();
  });
});
