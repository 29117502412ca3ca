/**
 * What the kit's HTTP layer promises any app, proved on the kit's own fixture
 * routes (a notes API and a paged list; not its counters route, which exists
 * to fail with a 500 for the error-logging test), so that replacing the example app and
 * its tests keeps them: bodies, paths, query strings and cursors are either
 * handled exactly or refused with a 4xx JSON error, and a refused request
 * writes nothing. Hand-picked cases, then a property over generated requests.
 */
import fc from "fast-check";
import { ensureTable } from "../src/table/ensureTable";
import { localClients, deleteTable, tableSnapshot, uniqueTableName } from "../src/testing/tables";
import type { Call } from "../src/testing/apiClient";
import { api } from "./support/testApp";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("http-guarantees");
process.env.TABLE_NAME = tableName;

const snapshot = () => tableSnapshot(documentClient, tableName);

let cursorOfA = "";
beforeAll(async () => {
  await ensureTable({ client, tableName });
  for (const id of ["one", "two", "three"]) expect((await api("PUT", `/lists/a/items/${id}`, { body: { text: id } })).status).toBe(200);
  expect((await api("PUT", "/lists/b/items/x", { body: { text: "x" } })).status).toBe(200);
  cursorOfA = (await api("GET", "/lists/a/items", { query: { limit: "1" } })).body.cursor;
  expect(cursorOfA).toEqual(expect.any(String));
});
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

const raw = (rawBody: string, headers: Record<string, string> = {}): Call => ({ rawBody, headers });

// [name, method, path, call, status, error code]
const cases: [string, string, string, Call, number, string][] = [
  ["invalid JSON", "PUT", "/notes/n1", raw("{text: nope}"), 400, "invalid_json"],
  ["truncated JSON", "PUT", "/notes/n1", raw('{"text":"a",'), 400, "invalid_json"],
  ["empty body", "PUT", "/notes/n1", raw(""), 400, "invalid_json"],
  ["a JSON array instead of an object", "PUT", "/notes/n1", { body: [{ text: "a" }] }, 400, "invalid_request"],
  ["an extra field", "PUT", "/notes/n1", { body: { text: "a", admin: true } }, 400, "invalid_request"],
  ["text/plain", "PUT", "/notes/n1", raw('{"text":"a"}', { "content-type": "text/plain" }), 415, "unsupported_media_type"],
  ["no content type", "PUT", "/notes/n1", raw('{"text":"a"}', { "content-type": "" }), 415, "unsupported_media_type"],
  ["a body over 64 KB", "PUT", "/notes/n1", { body: { text: "x".repeat(70_000) } }, 413, "payload_too_large"],
  ["a number beyond the double range", "PUT", "/counters/c1", raw('{"value":1e400}'), 400, "invalid_request"],
  ["a key separator in a path parameter", "GET", "/notes/a%23b", {}, 400, "invalid_request"],
  ["malformed percent-encoding", "GET", "/notes/%E0%A4%A", {}, 400, "invalid_path"],
  ["path traversal", "GET", "/notes/../hello", {}, 404, "not_found"],
  ["an unknown route", "GET", "/admin", {}, 404, "not_found"],
  ["a trailing slash", "GET", "/notes/", {}, 404, "not_found"],
  ["an unknown method on a known path", "POST", "/hello", {}, 405, "method_not_allowed"],
  ["a non-numeric limit", "GET", "/lists/a/items", { query: { limit: "ten" } }, 400, "invalid_request"],
  ["an unknown query parameter", "GET", "/lists/a/items", { query: { sort: "desc" } }, 400, "invalid_request"],
  ["a tampered cursor", "GET", "/lists/a/items", { query: { cursor: "AAAA" + "B".repeat(60) } }, 400, "invalid_cursor"],
  ["the cursor of another list", "GET", "/lists/b/items", { query: { cursor: "__CURSOR_OF_A__" } }, 400, "invalid_cursor"],
  ["a missing note", "GET", "/notes/ghost", {}, 404, "not_found"],
];

describe("the kit's HTTP layer, on its own fixture routes", () => {
  it.each(cases)("refuses %s (%s %s) with a 4xx JSON error, writing nothing", async (_name, method, path, call, status, code) => {
    const resolved = call.query?.cursor === "__CURSOR_OF_A__" ? { ...call, query: { cursor: cursorOfA } } : call;
    const before = await snapshot();
    const reply = await api(method, path, resolved);
    expect(reply.status).toBe(status);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.body).toEqual({ error: { code, message: expect.any(String), ...(reply.body.error.details ? { details: expect.any(Array) } : {}) } });
    expect(await snapshot()).toEqual(before);
  });

  it("walks a list page by page with its cursors, every item once", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const reply = await api("GET", "/lists/a/items", { query: { limit: "2", ...(cursor ? { cursor } : {}) } });
      expect(reply.status).toBe(200);
      seen.push(...reply.body.items.map((i: { id: string }) => i.id));
      cursor = reply.body.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(["one", "three", "two"]);
  });

  it("answers any generated request with an exact result or a 4xx, never a 5xx, and writes only what it acknowledged (property)", async () => {
    const segment = fc.oneof(fc.constantFrom("notes", "lists", "items", "hello", "a", "..", "%2F", "%23", "%E0%A4"), fc.string({ maxLength: 12 }));
    const request = fc.record({
      method: fc.constantFrom("GET", "PUT", "POST", "DELETE", "PATCH"),
      path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.map((p) => p.replace(/[/?#\s]/g, "")).join("/")}`),
      query: fc.dictionary(fc.constantFrom("limit", "cursor", "sort", "x"), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
      rawBody: fc.option(fc.oneof(fc.json(), fc.string({ maxLength: 60 }), fc.constant('{"text":"generated"}')), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query, rawBody }) => {
        const before = await snapshot();
        const reply = await api(method, path, { query, ...(rawBody === undefined ? {} : { rawBody }) });
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400) {
          expect(reply.body.error.code).toEqual(expect.any(String));
          expect(await snapshot()).toEqual(before);
        } else if (method === "PUT" && reply.status === 200) {
          // Acknowledged: what was sent is what is stored, exactly.
          const sent = JSON.parse(rawBody!) as { text?: unknown; value?: unknown };
          expect(reply.body).toMatchObject(sent);
        }
      }),
      { numRuns: 150, seed: 20_261_129 },
    );
  }, 120_000);
});
