import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll, ensureTable } from "../../src/lib";
import { backfill } from "../../src/lib/tools";
import { clients, deleteTable, uniqueTableName } from "../support/dynamo";

const admin = clients();
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

  it("stops before writing once the signal is aborted while a page is being transformed", async () => {
    const controller = new AbortController();
    let seen = 0;
    const attempt = backfill({
      ...admin,
      tableName,
      segments: 1,
      signal: controller.signal,
      transform: (item) => {
        if (++seen === 50) controller.abort(new Error("lock lost"));
        return { ...item, migrated: true };
      },
    });
    await expect(attempt).rejects.toThrow("lock lost");
    expect(seen).toBe(300); // the one page was scanned and transformed...
    expect(await migrated()).toBe(0); // ...and none of it written
  });
});
