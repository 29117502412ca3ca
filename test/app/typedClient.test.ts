/**
 * The API through its typed client, as a consumer calls it: openapi-fetch over the types make openapi writes from
 * openapi.json (src/app/openapi.d.ts). A route whose path, input or answer changes without the spec breaks this file's
 * type check before any test runs.
 */
import createClient from "openapi-fetch";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { deleteTable, handlerFetch, localClients, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { contract } from "../../src/app/contract";
import type { paths } from "../../src/app/openapi";
import { handler } from "../../src/handlers/api";

const { client } = localClients();
const tableName = uniqueTableName("typed-client");
process.env.TABLE_NAME = tableName;
const api = createClient<paths>({ baseUrl: "https://api.test", fetch: handlerFetch(handler, contract.callers.ops) });

beforeAll(() => ensureTable({ client, tableName }));
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

it("creates, reads and lists through typed calls: paths, parameters, bodies and answers from the spec", async () => {
  const created = await api.POST("/users", { body: { email: "grace@example.com", name: "Grace" } });
  expect(created.response.status).toBe(201);
  expect(created.data?.email).toBe("grace@example.com");

  const read = await api.GET("/users/{email}", { params: { path: { email: "grace@example.com" } } });
  expect(read.data).toMatchObject({ email: "grace@example.com", name: "Grace" });

  await api.POST("/users/{email}/events", { params: { path: { email: "grace@example.com" } }, body: { type: "signed.in", data: { via: "sso" } } });
  const events = await api.GET("/users/{email}/events", { params: { path: { email: "grace@example.com" }, query: { limit: "10", order: "asc" } } });
  expect(events.data?.items.map((e) => [e.type, e.data])).toEqual([["signed.in", { via: "sso" }]]);

  const missing = await api.GET("/users/{email}", { params: { path: { email: "nobody@example.com" } } });
  expect(missing.response.status).toBe(404);
  expect(missing.error?.error.code).toBe("not_found");
});

it("does not compile a call the spec does not describe", () => {
  // Never run: the type check refuses each line unless the spec changes.
  const calls = [
    // @ts-expect-error -- no such operation
    () => api.GET("/users/{email}/nicknames", { params: { path: { email: "x@example.com" } } }),
    // @ts-expect-error -- a user needs a name
    () => api.POST("/users", { body: { email: "x@example.com" } }),
    // @ts-expect-error -- the events' order is asc or desc
    () => api.GET("/users/{email}/events", { params: { path: { email: "x@example.com" }, query: { order: "newest" } } }),
  ];
  expect(calls).toHaveLength(3);
});
