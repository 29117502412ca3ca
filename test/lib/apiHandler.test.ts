import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { countRequests, createApiHandler, ensureTable } from "../../src/lib";
import { apiClient } from "../support/api";
import { countingMigrations } from "../support/countingMigrations";
import { clients, deleteTable, uniqueTableName } from "../support/dynamo";
import { notesApi } from "../support/testApp";

const admin = clients();
const tables: string[] = [];
const ownClients: DynamoDBClient[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  [admin.client, ...ownClients].forEach((c) => c.destroy());
});

/** A handler on a client of its own: its first request is a cold start. */
async function coldHandler(migrations = countingMigrations(0)) {
  const tableName = uniqueTableName("api-handler");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  const { client } = clients();
  ownClients.push(client);
  return { tableName, client, ...apiClient(createApiHandler(notesApi(migrations), { tableName, client, log: () => {} })) };
}

describe("createApiHandler", () => {
  it("runs a cold start's first read alongside the table check: one round trip, two requests in flight", async () => {
    const { client, api } = await coldHandler();
    const requests = countRequests(client);
    expect(await api("GET", "/notes/absent")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(requests.operations.sort()).toEqual(["GetItem", "Query"]);
    expect(requests.maxInFlight()).toBe(2);

    requests.reset();
    expect((await api("PUT", "/notes/n1", { body: { text: "hello" } })).status).toBe(200);
    expect(await api("GET", "/notes/n1")).toMatchObject({ status: 200, body: { id: "n1", text: "hello" } });
    expect(requests.operations).toEqual(["PutItem", "GetItem"]); // warm: the check is not repeated
  });

  it("lets the table check's failure win over a read's answer, and never lets a write start before the check", async () => {
    const { client, tableName, api } = await coldHandler(countingMigrations(1));
    process.env.AWS_LAMBDA_FUNCTION_NAME = "api"; // pending migrations fail instead of being applied
    const logged = jest.spyOn(console, "error").mockImplementation(() => {});
    try {
      const requests = countRequests(client);
      // The read alone would be a 404; the check says the table is not migrated.
      expect(await api("GET", "/notes/absent")).toMatchObject({ status: 500, body: { error: { code: "internal" } } });
      expect(JSON.stringify(logged.mock.calls)).toContain("PendingMigrationsError");
      requests.reset();
      expect((await api("PUT", "/notes/n1", { body: { text: "hello" } })).status).toBe(500);
      expect(requests.operations).toEqual(["Query"]); // the check ran again (failures are not cached); no PutItem
      const { Item } = await admin.documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "NOTE#n1", sk: "NOTE" }, ConsistentRead: true }));
      expect(Item).toBeUndefined();
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      logged.mockRestore();
    }
  });

  it("answers GET /health once the table has passed the check, unless the app defines its own", async () => {
    const { tableName, api } = await coldHandler();
    expect(await api("GET", "/health")).toMatchObject({ status: 200, body: { status: "ok", table: tableName } });
  });
});
