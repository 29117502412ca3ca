import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { apiRouteTable, createApiHandler } from "../src/http/apiHandler";
import { ensureTable } from "../src/table/ensureTable";
import { countRequests } from "../src/testing/requestCounter";
import { migrator } from "../src/migrations/migrationRunner";
import { apiClient, apiEvent } from "../src/testing/apiClient";
import { countingMigrations } from "./support/countingMigrations";
import { localClients, deleteTable, uniqueTableName } from "../src/testing/tables";
import { notesApi } from "./support/testApp";
import { captureTelemetry } from "../src/testing/telemetry";

const admin = localClients();
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
  const { client } = localClients();
  ownClients.push(client);
  const handler = createApiHandler(notesApi(migrations), { tableName, client, log: () => {} });
  return { tableName, client, handler, ...apiClient(handler) };
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

  it("answers 503 not_ready while migrations are pending in Lambda, names them only in the log, and recovers once they are applied", async () => {
    const migrations = countingMigrations(2);
    const { client, tableName, api } = await coldHandler(migrations);
    process.env.AWS_LAMBDA_FUNCTION_NAME = "api"; // pending migrations fail instead of being applied
    const logged = captureTelemetry();
    try {
      const requests = countRequests(client);
      // The read alone would be a 404; the check says the table is not migrated, and wins.
      const reply = await api("GET", "/notes/absent");
      expect(reply).toMatchObject({ status: 503, body: { error: { code: "not_ready" } }, headers: { "retry-after": "30" } });
      expect(JSON.stringify(reply.body)).not.toContain("m0001");
      const log = logged.lines.find((l) => l.level === "warn")!;
      expect(log).toMatchObject({ level: "warn", route: "GET /notes/{id}", error: "PendingMigrationsError", correlationId: expect.any(String) });
      expect(String(log.message)).toContain("2 pending migration(s): m0001, m0002");
      expect(String(log.message)).toContain("apply them with the pre-step"); // what to do, in words: a Lambda log names no make target
      expect(JSON.stringify(log)).not.toMatch(/make migrate/);

      requests.reset();
      expect((await api("PUT", "/notes/n1", { body: { text: "hello" } })).status).toBe(503);
      expect(requests.operations).toEqual(["Query"]); // the check ran again (failures are not cached); no PutItem
      const { Item } = await admin.documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "NOTE#n1", sk: "NOTE" }, ConsistentRead: true }));
      expect(Item).toBeUndefined();

      await migrator({ ...admin, tableName, migrations }).up(); // the deploy's pre-step
      expect((await api("PUT", "/notes/n1", { body: { text: "hello" } })).status).toBe(200);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      logged.stop();
    }
  });

  it("logs an unexpected error by its class alone: never its message, which quotes the request's values", async () => {
    const { api } = await coldHandler();
    const logged = captureTelemetry();
    try {
      // 2^70: the marshaller refuses it with a message that quotes the number.
      const reply = await api("PUT", "/counters/c1", { rawBody: '{"value":1180591620717411303424}' });
      expect(reply).toMatchObject({ status: 500, body: { error: { code: "internal" } } });
      expect(logged.lines).toEqual([
        {
          timestamp: expect.any(String),
          level: "error",
          correlationId: expect.any(String),
          message: "request failed",
          route: "PUT /counters/{id}",
          error: "Error",
        },
      ]);
      expect(logged.raw.join("\n")).not.toMatch(/1180591|1\.18059|MAX_SAFE_INTEGER/);
    } finally {
      logged.stop();
    }
  });

  it("writes one line per request in Lambda that is also its metrics: route pattern, status, latency, cold start, DynamoDB units, no identifiers", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "api"; // read once, when the handler is built, as in Lambda
    const { api } = await coldHandler();
    const logged = captureTelemetry();
    try {
      await api("PUT", "/notes/secret-id-1", { body: { text: "SECRET-BODY" } });
      await api("GET", "/notes/secret-id-1");
      await api("GET", "/nowhere/secret-id-2");
      const lines = logged.ofType("request");
      const base = { Service: "api", Requests: 1, Errors5xx: 0, correlationId: expect.any(String) };
      expect(lines).toEqual([
        expect.objectContaining({ ...base, level: "info", Route: "PUT /notes/{id}", status: 200, ColdStart: 1, Errors4xx: 0, dynamodbRequests: 2 }),
        expect.objectContaining({ ...base, Route: "GET /notes/{id}", status: 200, ColdStart: 0, Errors4xx: 0, WriteUnits: 0, dynamodbRequests: 1 }),
        expect.objectContaining({ ...base, Route: "unmatched", status: 404, ColdStart: 0, Errors4xx: 1, ReadUnits: 0, WriteUnits: 0, dynamodbRequests: 0 }),
      ]);
      expect(lines[0]!.WriteUnits).toBe(1); // the PutItem of a small item; the cold start's Query is a read
      expect(lines[1]!.ReadUnits).toBe(0.5); // an eventually consistent GetItem of an item under 4 KB
      expect(lines.every((l) => typeof l.Latency === "number" && (l.Latency as number) >= 0)).toBe(true);
      expect(logged.raw.join("\n")).not.toMatch(/secret-id|SECRET-BODY/);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      logged.stop();
    }
  });

  it("answers GET /health once the table has passed the check, unless the app defines its own", async () => {
    const { tableName, api } = await coldHandler();
    expect(await api("GET", "/health")).toEqual(expect.objectContaining({ status: 200, body: { status: "ok" } }));
    expect(JSON.stringify(await api("GET", "/health"))).not.toContain(tableName);
  });

  it("needs a verified caller on every route that is not public (401), and one of its scopes where it names some (403), before any request", async () => {
    const { api, client } = await coldHandler();
    const counter = countRequests(client);
    try {
      expect(await api("GET", "/notes/n1", { as: "anonymous" })).toMatchObject({
        status: 401,
        body: { error: { code: "unauthorized" } },
        headers: { "www-authenticate": "Bearer" },
      });
      expect(await api("PUT", "/notes/n1", { as: "anonymous", body: { text: "x" } })).toMatchObject({ status: 401 });
      expect(await api("DELETE", "/notes/n1", { as: { sub: "u", scopes: ["notes:read"] } })).toMatchObject({
        status: 403,
        body: { error: { code: "forbidden" } },
      });
      expect(counter.operations).toEqual([]); // refused before reaching the table
      expect(await api("DELETE", "/notes/n1", { as: { sub: "u", scopes: ["notes:read", "notes:delete"] } })).toMatchObject({ status: 200, body: { by: "u" } });
      expect(await api("GET", "/hello", { as: "anonymous" })).toMatchObject({ status: 200, body: { hello: "anonymous" } });
      expect(await api("GET", "/hello", { as: { sub: "someone" } })).toMatchObject({ status: 200, body: { hello: "someone" } });
      expect(await api("GET", "/health", { as: "anonymous" })).toMatchObject({ status: 200 });
    } finally {
      counter.stop();
    }
  });

  it("lists every route for the edge, the public /health included, with the scopes each needs", () => {
    expect(apiRouteTable(notesApi())).toEqual([
      { routeKey: "GET /health", public: true, scopes: [] },
      { routeKey: "GET /notes/{id}", public: false, scopes: [] },
      { routeKey: "PUT /notes/{id}", public: false, scopes: [] },
      { routeKey: "DELETE /notes/{id}", public: false, scopes: ["notes:delete", "admin"] },
      { routeKey: "GET /hello", public: true, scopes: [] },
      { routeKey: "PUT /lists/{name}/items/{id}", public: false, scopes: [] },
      { routeKey: "GET /lists/{name}/items", public: false, scopes: [] },
      { routeKey: "PUT /counters/{id}", public: false, scopes: [] },
    ]);
  });

  it("answers any authorizer context, however malformed, with a 2xx, 401 or 403, never a 5xx (property)", async () => {
    const { handler } = await coldHandler();
    const anything = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.dictionary(fc.string(), fc.string()));
    const context = fc.oneof(
      fc.constant(undefined),
      fc.record(
        {
          jwt: fc.record(
            {
              claims: fc.dictionary(fc.constantFrom("sub", "email", "scope", "scp", "aud"), anything),
              scopes: fc.oneof(fc.constant(null), fc.array(fc.string())),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(context, fc.constantFrom("GET /notes/n1", "DELETE /notes/n2", "GET /hello"), async (authorizer, route) => {
        const [method, path] = route.split(" ") as [string, string];
        const event = apiEvent(method, path, { as: "anonymous" });
        if (authorizer) (event.requestContext as unknown as { authorizer: unknown }).authorizer = authorizer;
        const status = (await handler(event)).statusCode!;
        expect([200, 401, 403, 404]).toContain(status);
      }),
      { numRuns: 300 },
    );
  });
});
