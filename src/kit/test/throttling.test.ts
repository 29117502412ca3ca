import { batchWriteAll } from "../src/data/batchWrite";
import { connect } from "../src/runtime/connect";
import { createDocumentClient } from "../src/runtime/clients";
import { backfill } from "../src/data/backfill";
import { api } from "./support/testApp";
import { throttlingFixture } from "./support/throttling";

const { admin, freshTable, quickClient, throttle, injectFaults, count } = throttlingFixture();

describe("throttling and partial batch results", () => {
  it("batchWriteAll retries UnprocessedItems and throttled calls until every item is written, exactly once", async () => {
    const tableName = await freshTable("throttle-batch");
    const client = quickClient();
    const faults = injectFaults(client);
    const requests = Array.from({ length: 150 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A", n: i } } }));

    const retries = await batchWriteAll({ documentClient: createDocumentClient(client), tableName }, requests);
    client.destroy();

    expect(faults.partial).toBeGreaterThan(3);
    expect(faults.throttled).toBeGreaterThan(3);
    expect(retries).toBeGreaterThanOrEqual(faults.partial);
    expect(await count(tableName)).toBe(150);
  });

  it("backfill finishes with an exact count under the same faults", async () => {
    const tableName = await freshTable("throttle-backfill");
    await batchWriteAll(
      { documentClient: admin.documentClient, tableName },
      Array.from({ length: 90 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
    );
    const client = quickClient();
    const faults = injectFaults(client);

    const result = await backfill({ documentClient: createDocumentClient(client), tableName, segments: 3, transform: (item) => ({ ...item, migrated: true }) });
    client.destroy();

    expect(faults.throttled).toBeGreaterThan(5);
    expect(result).toMatchObject({ scanned: 90, written: 90 });
    expect(await count(tableName, "attribute_exists(migrated)")).toBe(90);
    expect(await count(tableName)).toBe(90);
  });

  it("answers 503 when DynamoDB keeps throttling after the SDK's retries", async () => {
    const tableName = await freshTable("throttle-api");
    process.env.TABLE_NAME = tableName;
    const { client } = await connect({ migrations: [] });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetItemCommand") throw throttle();
        return next(args);
      },
      { step: "deserialize", name: "always-throttle", priority: "low" },
    );
    const reply = await api("GET", "/notes/someone");
    client.middlewareStack.remove("always-throttle");
    expect(reply).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
  });
});
