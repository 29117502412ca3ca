import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { migrations } from "../../src/app/migrations";
import { keys } from "../../src/app/model";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { migrator } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";

const admin = localClients();
const tableName = uniqueTableName("event-data");
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

const eventKey = keys.event("ada@example.com", "2026-01-05T09:15:00.000Z", "e1");
const stored = async () => (await admin.documentClient.send(new GetCommand({ TableName: tableName, Key: eventKey, ConsistentRead: true }))).Item;

describe("migration 0004-event-data-as-json", () => {
  it("turns event payloads stored as maps into JSON strings, and back on down", async () => {
    await ensureTable({ client: admin.client, tableName });
    const m = migrator({ ...admin, tableName, migrations });
    await m.up({ to: "0003-backfill-memberships-by-user" });
    // Written the way code before 0004 wrote it: the payload as a map.
    const data = { title: "Notes", tags: ["a", "b"], n: 1.5, nested: { ok: true, none: null } };
    await admin.documentClient.send(
      new PutCommand({ TableName: tableName, Item: { ...eventKey, entity: "Event", email: "ada@example.com", id: "e1", type: "note", data } }),
    );

    expect(await m.up({ to: "0004-event-data-as-json" })).toEqual(["0004-event-data-as-json"]);
    const after = await stored();
    expect(after).not.toHaveProperty("data");
    expect(JSON.parse(String(after?.dataJson))).toEqual(data);

    await m.down({ to: "0004-event-data-as-json" });
    const reverted = await stored();
    expect(reverted).not.toHaveProperty("dataJson");
    expect(reverted?.data).toEqual(data);
  });
});
