import { ensureTable } from "@dynamodb-starter/kit/ops";
import { api, type Call } from "./handlerClient";
import { captureTelemetry, localClients, deleteTable, tableSnapshot, uniqueTableName } from "@dynamodb-starter/kit/testing";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("bad-input");
process.env.TABLE_NAME = tableName;

const snapshot = () => tableSnapshot(documentClient, tableName);

let validCursor = "";
beforeAll(async () => {
  await ensureTable({ client, tableName });
  const setup: [string, string, unknown][] = [
    ["POST", "/users", { email: "ada@example.com", name: "Ada" }],
    ["POST", "/users", { email: "bob@example.com", name: "Bob" }],
    ["POST", "/companies", { name: "Acme" }],
    ["POST", "/companies", { name: "Other" }],
    ["PUT", "/companies/Acme/members/ada@example.com", { role: "owner" }],
    ["PUT", "/companies/Acme/members/bob@example.com", { role: "member" }],
  ];
  for (const [method, path, body] of setup) expect((await api(method, path, { body })).status).toBeLessThan(300);
  validCursor = (await api("GET", "/companies/Acme/members", { query: { limit: "1" } })).body.cursor;
});
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

const json = (body: unknown): Call => ({ body });
const raw = (rawBody: string, headers: Record<string, string> = {}): Call => ({ rawBody, headers });
const big = (bytes: number) => "x".repeat(bytes);

// [name, method, path, call, expected status, expected error code]
const cases: [string, string, string, Call, number, string][] = [
  ["invalid JSON", "POST", "/users", raw("{email: nope}"), 400, "invalid_json"],
  ["truncated JSON", "POST", "/users", raw('{"email":"a@b.io",'), 400, "invalid_json"],
  ["empty body", "POST", "/users", raw(""), 400, "invalid_json"],
  ["whitespace body", "POST", "/users", raw("   \n"), 400, "invalid_json"],
  ["JSON array instead of object", "POST", "/users", json([{ email: "x@example.com", name: "X" }]), 400, "invalid_request"],
  ["JSON null", "POST", "/users", raw("null"), 400, "invalid_request"],
  ["JSON string", "POST", "/users", raw('"ada@example.com"'), 400, "invalid_request"],
  ["text/plain content type", "POST", "/users", raw('{"email":"t@example.com","name":"T"}', { "content-type": "text/plain" }), 415, "unsupported_media_type"],
  ["form content type", "POST", "/companies", raw("name=Evil", { "content-type": "application/x-www-form-urlencoded" }), 415, "unsupported_media_type"],
  [
    "missing content type",
    "POST",
    "/users",
    { rawBody: '{"email":"t@example.com","name":"T"}', headers: { "content-type": "" } },
    415,
    "unsupported_media_type",
  ],
  ["missing email", "POST", "/users", json({ name: "No Mail" }), 400, "invalid_request"],
  ["missing name", "POST", "/users", json({ email: "noname@example.com" }), 400, "invalid_request"],
  ["email of wrong type", "POST", "/users", json({ email: 42, name: "N" }), 400, "invalid_request"],
  ["name of wrong type", "POST", "/users", json({ email: "n@example.com", name: ["N"] }), 400, "invalid_request"],
  ["extra field", "POST", "/users", json({ email: "x@example.com", name: "X", admin: true }), 400, "invalid_request"],
  ["not an email", "POST", "/users", json({ email: "not-an-email", name: "X" }), 400, "invalid_request"],
  ["email with key separator", "POST", "/users", json({ email: "a#b@example.com", name: "X" }), 400, "invalid_request"],
  ["email shaped like another key", "POST", "/users", json({ email: "PROFILE#COMPANY#Acme", name: "X" }), 400, "invalid_request"],
  ["email over 254 characters", "POST", "/users", json({ email: `${big(250)}@example.com`, name: "X" }), 400, "invalid_request"],
  ["name over 200 characters", "POST", "/users", json({ email: "long@example.com", name: big(201) }), 400, "invalid_request"],
  ["name with control characters", "POST", "/users", json({ email: "ctl@example.com", name: "bad\u0000name" }), 400, "invalid_request"],
  ["empty name", "POST", "/users", json({ email: "empty@example.com", name: "   " }), 400, "invalid_request"],
  ["body over 64 KB", "POST", "/users", json({ email: "huge@example.com", name: big(70_000) }), 413, "payload_too_large"],
  [
    "item over DynamoDB's 400 KB limit",
    "POST",
    "/users/ada@example.com/events",
    json({ type: "blob", data: { blob: big(420_000) } }),
    413,
    "payload_too_large",
  ],
  ["event data over 32 KB", "POST", "/users/ada@example.com/events", json({ type: "blob", data: { blob: big(40_000) } }), 400, "invalid_request"],
  ["event type with capitals", "POST", "/users/ada@example.com/events", json({ type: "Login" }), 400, "invalid_request"],
  ["event time not ISO", "POST", "/users/ada@example.com/events", json({ type: "login", at: "yesterday" }), 400, "invalid_request"],
  ["company name with key separator", "POST", "/companies", json({ name: "Acme#MEMBER#ada@example.com" }), 400, "invalid_request"],
  ["company name with a slash", "POST", "/companies", json({ name: "Acme/../Other" }), 400, "invalid_request"],
  ["company name with emoji", "POST", "/companies", json({ name: "🚀 Rockets" }), 400, "invalid_request"],
  ["company name too long", "POST", "/companies", json({ name: big(101) }), 400, "invalid_request"],
  ["duplicate user (other case)", "POST", "/users", json({ email: "ADA@example.com", name: "Not Ada" }), 409, "conflict"],
  ["duplicate company", "POST", "/companies", json({ name: "Acme" }), 409, "conflict"],
  ["duplicate membership", "PUT", "/companies/Acme/members/ada@example.com", json({ role: "member" }), 409, "conflict"],
  ["membership for missing user", "PUT", "/companies/Acme/members/ghost@example.com", json({ role: "member" }), 404, "not_found"],
  ["membership for missing company", "PUT", "/companies/Nowhere/members/ada@example.com", json({ role: "member" }), 404, "not_found"],
  ["membership with unknown role", "PUT", "/companies/Acme/members/bob@example.com", json({ role: "emperor" }), 400, "invalid_request"],
  ["update of a missing user", "PATCH", "/users/ghost@example.com", json({ name: "Ghost" }), 404, "not_found"],
  ["update trying to change the key", "PATCH", "/users/ada@example.com", json({ name: "Ada", email: "eve@example.com" }), 400, "invalid_request"],
  ["encoded slash in a path parameter", "GET", "/companies/Acme%2F..%2FOther", {}, 400, "invalid_request"],
  ["encoded key separator in the path", "GET", "/users/ada%23x@example.com", {}, 400, "invalid_request"],
  ["malformed percent-encoding", "GET", "/users/%E0%A4%A", {}, 400, "invalid_path"],
  ["path traversal", "GET", "/users/../companies/Acme", {}, 404, "not_found"],
  ["unknown route", "GET", "/admin", {}, 404, "not_found"],
  ["trailing slash", "GET", "/users/", {}, 404, "not_found"],
  ["unknown method on a known path", "DELETE", "/companies/Acme", {}, 405, "method_not_allowed"],
  ["PUT on a collection", "PUT", "/users", json({ email: "p@example.com", name: "P" }), 405, "method_not_allowed"],
  ["non-numeric limit", "GET", "/companies/Acme/members", { query: { limit: "ten" } }, 400, "invalid_request"],
  ["huge limit", "GET", "/companies/Acme/members", { query: { limit: "1000000" } }, 400, "invalid_request"],
  ["negative limit", "GET", "/companies/Acme/members", { query: { limit: "-1" } }, 400, "invalid_request"],
  ["fractional limit", "GET", "/companies/Acme/members", { query: { limit: "2.5" } }, 400, "invalid_request"],
  ["unknown query parameter", "GET", "/companies/Acme/members", { query: { limit: "5", sort: "desc" } }, 400, "invalid_request"],
  ["tampered cursor", "GET", "/companies/Acme/members", { query: { cursor: "AAAA" + "B".repeat(60) } }, 400, "invalid_cursor"],
  ["cursor of another list", "GET", "/companies/Other/members", { query: { cursor: "__VALID__" } }, 400, "invalid_cursor"],
  ["events range with a bad bound", "GET", "/users/ada@example.com/events", { query: { from: "2026-13-45T00:00:00Z" } }, 400, "invalid_request"],
  ["events with an unknown order", "GET", "/users/ada@example.com/events", { query: { order: "sideways" } }, 400, "invalid_request"],
  [
    "events range whose from is after its to",
    "GET",
    "/users/ada@example.com/events",
    { query: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" } },
    400,
    "invalid_request",
  ],
];

// Every line the handler writes (as in Lambda: one per request, and any warning), caught here.
process.env.TELEMETRY = "on";
const logged = captureTelemetry();
afterAll(() => logged.stop());

describe("bad input is refused with a clear JSON error and changes nothing", () => {
  it(`covers ${cases.length} cases`, () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)("%s → %s %s answers %i %s", async (_name, method, path, call, status, code) => {
    const resolved = call.query?.cursor === "__VALID__" ? { ...call, query: { ...call.query, cursor: validCursor } } : call;
    const before = await snapshot();
    const reply = await api(method, path, resolved);

    expect(reply.status).toBe(status);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.body).toEqual({ error: { code, message: expect.any(String), ...(reply.body.error.details ? { details: expect.any(Array) } : {}) } });
    expect(reply.body.error.message.length).toBeGreaterThan(10);
    expect(await snapshot()).toEqual(before);
  });

  it("never logs a request body", () => {
    expect(logged.lines.filter((l) => l.type === "request").length).toBeGreaterThanOrEqual(cases.length);
    const everything = logged.raw.join("\n");
    for (const [, , , call] of cases) {
      const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
      if (body && body.length > 12) expect(everything).not.toContain(body.slice(0, 40));
    }
  });
});
