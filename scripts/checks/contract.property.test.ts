/**
 * Requests built from the service's spec and walkthrough, valid and mutated (a field replaced by any JSON, dropped or
 * added; a path segment or a query value replaced by any text; the whole body replaced), sent to its handler against
 * DynamoDB Local: every answer is a status its operation declares, with a body that matches its schema, never a 5xx;
 * a refused request (4xx) leaves every item of the table as it was. A few hundred in `make test`; `make fuzz` sends FUZZ_RUNS, FUZZ_SEED replays.
 */
import fc from "fast-check";
import { callerClaims, contractChecker, operationOf, walk, withCaptured, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { createApiHandler, createClient, LOCAL_REGION } from "@dynamodb-starter/kit/runtime";
import { ensureTable, migrator } from "@dynamodb-starter/kit/ops";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { apiEvent, deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { generatedSpec } from "../src/openapi";
import { contract, service } from "./service";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);

let spec: { paths: Record<string, Record<string, unknown>> };
const admin = localClients();
const tableName = uniqueTableName("contract-fuzz");
const client = createClient({ region: LOCAL_REGION, endpoint: localEndpoint() });
const handler = createApiHandler(contract.api, { tableName, client });
let captured: Record<string, string> = {};

beforeAll(async () => {
  spec = JSON.parse(await generatedSpec(service)) as typeof spec;
  await ensureTable({ client: admin.client, tableName });
  await migrator({ ...admin, tableName, migrations: contract.api.migrations }).up();
  captured = await walk(contract.walkthrough, send, () => {});
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
  client.destroy();
});

/** Every item of the table, read consistently: what a refused request must leave as it was. */
async function snapshot(): Promise<string> {
  const items: unknown[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await admin.documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return JSON.stringify(items);
}

async function send(r: SampleRequest, rawBody?: string): Promise<{ status: number; body: unknown }> {
  const call = { ...(r.query ? { query: r.query } : {}), ...(rawBody !== undefined ? { rawBody } : r.body === undefined ? {} : { body: r.body }) };
  const reply = await handler(apiEvent(r.method, r.path, call, callerClaims(contract, r)));
  return { status: reply.statusCode ?? 200, body: reply.body ? (JSON.parse(reply.body) as unknown) : undefined };
}

type Mutation = (r: SampleRequest) => { request: SampleRequest; rawBody?: string };
const json = fc.jsonValue({ maxDepth: 3 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>((r) => ({ request: r })),
  fc.tuple(fc.nat(), json).map(([i, value]): Mutation => (r) => {
    const body = r.body && typeof r.body === "object" && !Array.isArray(r.body) ? { ...(r.body as object) } : {};
    const keys = Object.keys(body);
    if (keys.length) (body as Record<string, unknown>)[keys[i % keys.length]!] = value;
    return { request: { ...r, body } };
  }),
  fc.nat().map((i): Mutation => (r) => {
    const body = r.body && typeof r.body === "object" && !Array.isArray(r.body) ? { ...(r.body as Record<string, unknown>) } : {};
    delete body[Object.keys(body)[i % Math.max(1, Object.keys(body).length)]!];
    return { request: { ...r, body } };
  }),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), json)
    .map(([key, value]): Mutation => (r) => ({ request: { ...r, body: { ...(r.body as object), [key]: value } } })),
  json.map((body): Mutation => (r) => ({ request: { ...r, body } })),
  fc.string({ maxLength: 40 }).map((raw): Mutation => (r) => ({ request: r, rawBody: raw })),
  fc.tuple(fc.nat(), fc.string({ maxLength: 30 })).map(([i, text]): Mutation => (r) => {
    const segments = r.path.split("/");
    segments[1 + (i % (segments.length - 1))] = encodeURIComponent(text);
    return { request: { ...r, path: segments.join("/") } };
  }),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 }))
    .map(([key, value]): Mutation => (r) => ({ request: { ...r, query: { ...r.query, [key]: value } } })),
);

it("answers requests from the spec, valid and mutated, only as it declares, and writes nothing when it refuses one", async () => {
  const check = contractChecker(spec);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: contract.walkthrough.length - 1 }), mutation, async (index, mutate) => {
      const { request, rawBody } = mutate(withCaptured(contract.walkthrough[index]!, captured));
      const before = await snapshot();
      const reply = await send(request, rawBody);
      const operation = operationOf(spec, request.method, request.path);
      if (operation) expect({ request, problem: check(operation, reply.status, reply.body) }).toEqual({ request, problem: undefined });
      else expect([404, 405]).toContain(reply.status);
      expect(reply.status).toBeLessThan(500);
      if (reply.status >= 400) expect(await snapshot()).toBe(before);
    }),
    { numRuns: RUNS, seed: SEED },
  );
}, 600_000);
