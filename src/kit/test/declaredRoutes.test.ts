/**
 * Routes that declare their contract (route()), and the OpenAPI 3.1 document generated from them: input validated
 * before the handler runs, typed replies (an undeclared status or shape fails the type check), a spec that a 3.1
 * validator accepts, with the kit's own statuses and the JWT scheme, and a checker that refuses a response the spec
 * does not declare. A bookmarks app of this test's own, so that replacing the example leaves it as it is.
 */
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import * as z from "zod/mini";
import { contractChecker, openApiDocument, operationOf, undeclaredRoutes } from "../src/contract";
import { createApiHandler, HttpError, lazySchema, route, type ApiDefinition, type Routes } from "../src/runtime";
import { apiClient } from "../src/testing";

const stored = new Map<string, { url: string; tags: string[] }>();
const id = z.string().check(z.regex(/^[a-z0-9]{1,20}$/));
const bookmark = z.strictObject({ id: z.string(), url: z.string(), tags: z.array(z.string()) });

let answerUndeclared = false;
const routes = {
  "PUT /bookmarks/{id}": route({
    summary: "Saves a bookmark",
    params: { id },
    body: z.strictObject({ url: z.url(), tags: z._default(z.array(z.string().check(z.maxLength(20))).check(z.maxLength(5)), []) }),
    responses: { 201: bookmark },
    handle: async ({ params, body }) => {
      stored.set(params.id, { url: body.url, tags: body.tags });
      return { status: 201, body: { id: params.id, ...body, ...(answerUndeclared ? { secret: "x" } : {}) } };
    },
  }),
  "GET /bookmarks/{id}": route({
    params: { id },
    responses: { 200: bookmark },
    errors: [404],
    handle: async ({ params }) => {
      const found = stored.get(params.id);
      if (!found) throw new HttpError(404, "not_found", `no bookmark ${params.id}`);
      return { status: 200, body: { id: params.id, ...found } };
    },
  }),
  "GET /bookmarks": route({
    public: true,
    query: z.strictObject({ tag: z.optional(z.string().check(z.maxLength(20))) }),
    // Loaded only by the spec's generator: a module the handler never imports.
    responses: { 200: lazySchema(async () => ({ list: z.strictObject({ items: z.array(bookmark) }) }), "list") },
    handle: async ({ query }) => ({
      status: 200,
      body: { items: [...stored].filter(([, b]) => !query.tag || b.tags.includes(query.tag)).map(([i, b]) => ({ id: i, ...b })) },
    }),
  }),
  "DELETE /bookmarks/{id}": route({
    scopes: ["bookmarks:delete"],
    params: { id },
    responses: { 204: null },
    handle: async ({ params }) => (stored.delete(params.id), { status: 204 }),
  }),
} satisfies Routes;

// Type checks: a status the route does not declare, or a body of another shape, does not compile.
route({
  responses: { 200: bookmark },
  // @ts-expect-error -- 201 is not declared
  handle: async () => ({ status: 201, body: { id: "a", url: "u", tags: [] } }),
});
route({
  responses: { 200: bookmark },
  // @ts-expect-error -- tags must be strings
  handle: async () => ({ status: 200, body: { id: "a", url: "u", tags: [1] } }),
});

/** The OpenAPI 3.1 schema validator, an ES module: run in a process of its own. */
function validateSpec(document: unknown): { valid: boolean; errors?: unknown } {
  const script = `import("@seriousme/openapi-schema-validator").then(async ({ Validator }) => {
    let input = ""; for await (const chunk of process.stdin) input += chunk;
    process.stdout.write(JSON.stringify(await new Validator().validate(JSON.parse(input))));
  });`;
  const run = spawnSync(process.execPath, ["-e", script], { input: JSON.stringify(document), encoding: "utf8", cwd: __dirname });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { valid: boolean; errors?: unknown };
}

const app: ApiDefinition = { migrations: [], routes };
let spec: Awaited<ReturnType<typeof openApiDocument>>;
let check: ReturnType<typeof contractChecker>;
beforeAll(async () => {
  spec = await openApiDocument(app, { title: "bookmarks", version: "1.0.0" });
  check = contractChecker(spec);
});
const { api } = apiClient(createApiHandler(app, { tableName: "unused", endpoint: "http://127.0.0.1:9" }));

describe("declared routes", () => {
  beforeEach(() => {
    stored.clear();
    answerUndeclared = false;
  });

  it("validate their input before the handler, and answer with the declared statuses and shapes", async () => {
    const saved = await api("PUT", "/bookmarks/abc", { body: { url: "https://example.com/" } });
    expect(saved).toMatchObject({ status: 201, body: { id: "abc", url: "https://example.com/", tags: [] } });
    expect(check("PUT /bookmarks/{id}", saved.status, saved.body)).toBeUndefined();
    const refused = await api("PUT", "/bookmarks/ABC!", { body: { url: "not a url", extra: 1 } });
    expect(refused.status).toBe(400);
    expect(stored.size).toBe(1);
    expect(check("PUT /bookmarks/{id}", refused.status, refused.body)).toBeUndefined();
    const deleted = await api("DELETE", "/bookmarks/abc", { as: { sub: "u", scopes: ["bookmarks:delete"] } });
    expect(deleted).toMatchObject({ status: 204 });
    expect(check("DELETE /bookmarks/{id}", 204, undefined)).toBeUndefined();
  });

  it("are described by a valid OpenAPI 3.1 document: parameters, bodies, responses, the kit's statuses, scopes, public routes", async () => {
    expect(validateSpec(spec)).toEqual({ valid: true });
    expect(validateSpec({ ...spec, paths: { "/x": { get: { responses: "nope" } } } }).valid).toBe(false);
    const paths = spec.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths).sort()).toEqual(["/bookmarks", "/bookmarks/{id}", "/health"]);
    const put = paths["/bookmarks/{id}"]!.put!;
    expect(put.parameters).toEqual([{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9]{1,20}$" } }]);
    expect(Object.keys(put.responses as object)).toEqual(["201", "400", "401", "403", "404", "405", "413", "415", "429", "503"]);
    expect(put.security).toEqual([{ jwt: [] }]);
    expect(paths["/bookmarks/{id}"]!.delete!.security).toEqual([{ jwt: ["bookmarks:delete"] }]);
    expect(paths["/bookmarks"]!.get).toMatchObject({ security: [], "x-public": true, parameters: [{ name: "tag", in: "query", required: false }] });
    expect(Object.keys(paths["/bookmarks"]!.get!.responses as object)).toEqual(["200", "400", "404", "405", "429", "503"]);
    expect((paths["/bookmarks"]!.get!.responses as Record<string, { content?: unknown }>)["200"]!.content).toEqual({
      "application/json": { schema: expect.objectContaining({ type: "object", required: ["items"] }) },
    });
    expect(paths["/health"]!.get).toMatchObject({ security: [], "x-public": true });
  });

  it("finds the operation a request goes to, literal paths before templates, nothing for an unknown path or method", () => {
    expect(operationOf(spec, "GET", "/bookmarks/abc")).toBe("GET /bookmarks/{id}");
    expect(operationOf(spec, "get", "/bookmarks?tag=x")).toBe("GET /bookmarks");
    expect(operationOf(spec, "GET", "/health")).toBe("GET /health");
    expect(operationOf(spec, "POST", "/bookmarks/abc")).toBeUndefined();
    expect(operationOf(spec, "GET", "/bookmarks/abc/more")).toBeUndefined();
  });

  it("refuses to describe a route that declares nothing, naming it", async () => {
    const plain: Routes = { ...routes, "POST /plain": async () => ({ statusCode: 200 }) };
    expect(undeclaredRoutes(plain)).toEqual(["POST /plain"]);
    await expect(openApiDocument({ routes: plain }, { title: "x", version: "1" })).rejects.toThrow(/POST \/plain.*route\(\)/);
  });

  it("fail the contract check when a handler answers a field or a status the spec does not declare", async () => {
    answerUndeclared = true;
    const saved = await api("PUT", "/bookmarks/abc", { body: { url: "https://example.com/" } });
    expect(check("PUT /bookmarks/{id}", saved.status, saved.body)?.problem).toMatch(/body must NOT have additional properties: "secret"/);
    expect(check("GET /bookmarks/{id}", 409, { error: { code: "x", message: "y" } })?.problem).toMatch(/status 409 is not declared/);
    expect(check("GET /bookmarks/{id}", 404, { error: { code: "not_found" } })?.problem).toMatch(/message/);
  });

  it("answer any body either exactly as declared or with a declared 4xx, writing nothing when refused (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 12 }), fc.anything(), async (key, body) => {
        stored.clear();
        const path = `/bookmarks/${encodeURIComponent(key) || "x"}`;
        const reply = await api("PUT", path, { body });
        expect(check("PUT /bookmarks/{id}", reply.status, reply.body)).toBeUndefined();
        if (reply.status !== 201) expect(stored.size).toBe(0);
        else expect(stored.get(decodeURIComponent(path.split("/")[2]!))?.url).toBe((body as { url: string }).url);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 200) },
    );
  });
});
