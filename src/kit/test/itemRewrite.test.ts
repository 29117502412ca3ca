import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConfigError } from "../src/errors";
import { createClient, createDocumentClient } from "../src/runtime/clients";
import { ensureTable } from "../src/table/ensureTable";
import { LOCAL_REGION } from "../src/runtime/config";
import { rewriteItem, trackReads, type Item } from "../src/data/itemRewrite";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tableName = uniqueTableName("item-rewrite");
// The backfill's client: `meanwhile` runs just before its next UpdateItem, as a live app's write would land.
const client = createClient({ region: LOCAL_REGION, endpoint: localEndpoint() });
const documentClient = createDocumentClient(client);
const sent: { command: string; input: Record<string, unknown> }[] = [];
let meanwhile: (() => Promise<unknown>) | undefined;
client.middlewareStack.add(
  (next, context) => async (args) => {
    sent.push({ command: context.commandName!, input: args.input as Record<string, unknown> });
    if (context.commandName === "UpdateItemCommand" && meanwhile) {
      const write = meanwhile;
      meanwhile = undefined;
      await write();
    }
    return next(args);
  },
  { step: "initialize", name: "meanwhile" },
);

beforeAll(() => ensureTable({ client: admin.client, tableName }));
beforeEach(() => (sent.length = 0));
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
  client.destroy();
});

let next = 0;
async function stored(attributes: Item): Promise<Item> {
  const item = { pk: `ITEM#${next++}`, sk: "A", ...attributes };
  await admin.documentClient.send(new PutCommand({ TableName: tableName, Item: item }));
  return item;
}
const read = async (item: Item) =>
  (await admin.documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }))).Item;
const appSets = (item: Item, attribute: string, value: unknown) => () =>
  admin.documentClient.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: "SET #a = :v",
      ExpressionAttributeNames: { "#a": attribute },
      ExpressionAttributeValues: { ":v": value },
    }),
  );
const rewrite = (item: Item, transform: (item: Item) => Item | undefined, filter?: Parameters<typeof rewriteItem>[0]["filter"]) =>
  rewriteItem({ documentClient, tableName, transform, filter }, item);

describe("rewriting one item of a live table", () => {
  it("sends only the attributes the transform changed, at one write unit", async () => {
    const item = await stored({ name: "Ada", data: { nested: [1, 2] }, n: 3 });
    const result = await rewrite(item, ({ name, ...rest }) => ({ ...rest, label: String(name) }));
    expect(result).toEqual({ outcome: "written", retries: 0, writeUnits: 1 });
    const update = sent.find((s) => s.command === "UpdateItemCommand")!.input;
    expect(update.UpdateExpression).toBe("SET #_s0 = :_s0 REMOVE #_r0");
    expect(update.ExpressionAttributeNames).toMatchObject({ "#_s0": "label", "#_r0": "name" });
    expect(await read(item)).toEqual({ pk: item.pk, sk: "A", label: "Ada", data: { nested: [1, 2] }, n: 3 });
  });

  it("keeps a write to an attribute it read that lands between the scan and its write: re-read, transformed again", async () => {
    const item = await stored({ name: "Ada", n: 1 });
    meanwhile = appSets(item, "name", "Grace");
    const result = await rewrite(item, ({ name, ...rest }) => ({ ...rest, label: String(name) }));
    expect(result).toMatchObject({ outcome: "written", retries: 1 });
    expect(sent.map((s) => s.command)).toEqual(["UpdateItemCommand", "GetItemCommand", "UpdateItemCommand"]);
    expect((sent[1]!.input as { ConsistentRead?: boolean }).ConsistentRead).toBe(true);
    expect(await read(item)).toEqual({ pk: item.pk, sk: "A", label: "Grace", n: 1 });
  });

  it("keeps a write to an attribute it neither read nor changed, without a retry", async () => {
    const item = await stored({ name: "Ada", n: 1 });
    meanwhile = appSets(item, "n", 2);
    const result = await rewrite(item, (seen) => ({ pk: seen.pk, sk: seen.sk, n: 1, label: String(seen.name) })); // n: 1 is unchanged, so never sent
    expect(result).toMatchObject({ outcome: "written", retries: 0 });
    expect(await read(item)).toEqual({ pk: item.pk, sk: "A", label: "Ada", n: 2 });
  });

  it("leaves an item deleted meanwhile deleted", async () => {
    const item = await stored({ name: "Ada" });
    meanwhile = () => admin.documentClient.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
    expect(await rewrite(item, (seen) => ({ ...seen, label: "x" }))).toMatchObject({ outcome: "gone" });
    expect(await read(item)).toBeUndefined();
  });

  it("leaves an item alone that the filter no longer matches", async () => {
    const item = await stored({ name: "Ada", migrated: false });
    meanwhile = appSets(item, "migrated", true);
    const filter = { FilterExpression: "#m = :no", ExpressionAttributeNames: { "#m": "migrated" }, ExpressionAttributeValues: { ":no": false } };
    const result = await rewrite(item, ({ name, ...rest }) => ({ ...rest, label: String(name) }), filter);
    expect(result).toMatchObject({ outcome: "skipped" });
    expect(await read(item)).toEqual({ pk: item.pk, sk: "A", name: "Ada", migrated: true });
  });

  it("sends nothing when the transform returns undefined or changes nothing", async () => {
    const item = await stored({ name: "Ada" });
    expect(await rewrite(item, () => undefined)).toMatchObject({ outcome: "unchanged" });
    expect(await rewrite(item, (seen) => ({ ...seen }))).toMatchObject({ outcome: "unchanged" });
    expect(sent).toEqual([]);
  });

  it("refuses a transform that changes the key, writing nothing", async () => {
    const item = await stored({ name: "Ada" });
    await expect(rewrite(item, (seen) => ({ ...seen, sk: "B" }))).rejects.toThrow(ConfigError);
    expect(sent).toEqual([]);
    expect(await read(item)).toEqual(item);
  });
});

describe("trackReads", () => {
  it("notes attributes read, tested and listed; refuses changes to the scanned item", () => {
    const direct = trackReads({ a: 1, b: 2, c: 3 });
    void direct.view.a;
    void ("missing" in direct.view);
    expect([...direct.read]).toEqual(["a", "missing"]);
    const spread = trackReads({ a: 1, b: 2 });
    void { ...spread.view };
    expect([...spread.read].sort()).toEqual(["a", "b"]);
    expect(() => {
      "use strict";
      (direct.view as { a: number }).a = 5;
    }).toThrow(TypeError);
  });
});
