import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll } from "../src/data/batchWrite";
import { ensureTable } from "../src/table/ensureTable";
import { backfill } from "../src/data/backfill";
import { localClients, deleteTable, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tableName = uniqueTableName("backfill-abort");
beforeAll(async () => {
  await ensureTable({ client: admin.client, tableName });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: 300 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
  );
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

const migrated = async () =>
  (
    await admin.documentClient.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, Select: "COUNT", FilterExpression: "attribute_exists(migrated)" }),
    )
  ).Count;

describe("backfill and a lost lock", () => {
  it("writes nothing when its signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("lock lost"));
    await expect(backfill({ ...admin, tableName, signal: controller.signal, transform: (item) => ({ ...item, migrated: true }) })).rejects.toThrow("lock lost");
    expect(await migrated()).toBe(0);
  });

  it("writes nothing more once the signal is aborted, not even the item being transformed", async () => {
    const controller = new AbortController();
    let seen = 0;
    const attempt = backfill({
      ...admin,
      tableName,
      segments: 1,
      writesInFlight: 1,
      signal: controller.signal,
      transform: (item) => {
        if (++seen === 50) controller.abort(new Error("lock lost"));
        return { ...item, migrated: true };
      },
    });
    await expect(attempt).rejects.toThrow("lock lost");
    expect(seen).toBe(50); // no item after the 50th was even transformed...
    expect(await migrated()).toBe(49); // ...and the 50th, transformed as the lock was lost, was not written
  });

  it("stops every segment at its next item when one of them fails", async () => {
    let seen = 0;
    const attempt = backfill({
      ...admin,
      tableName,
      segments: 4,
      writesInFlight: 1,
      transform: (item) => {
        if (++seen === 20) throw new Error("bad item");
        return { ...item, failed: true };
      },
    });
    await expect(attempt).rejects.toThrow("bad item");
    const written = (
      await admin.documentClient.send(
        new ScanCommand({ TableName: tableName, ConsistentRead: true, Select: "COUNT", FilterExpression: "attribute_exists(failed)" }),
      )
    ).Count;
    expect(seen).toBeLessThan(20 + 4); // each of the other segments finishes at most the item it was writing
    expect(written).toBeLessThan(20);
  });
});
