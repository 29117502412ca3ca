/**
 * The service's API contract: openapi.json is what its routes declare (regenerated here and compared; a stale file
 * fails with the command that rewrites it; so do its types for the typed client), lint-clean by Redocly (presets/redocly.yaml: its recommended rules, two off
 * with their reasons), and every response of the contract's walkthrough is one the spec
 * declares, with a body that matches its schema.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callerClaims, contractChecker, operationOf, walk } from "@dynamodb-starter/kit/contract";
import { createApiHandler, apiRouteTable } from "@dynamodb-starter/kit/runtime";
import { apiEvent, deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { ensureTable, migrator } from "@dynamodb-starter/kit/ops";
import { generatedSpec, generatedTypes, specFile, typesFile } from "../src/openapi";
import { CLI_ROOT } from "../src/project";
import { contract, service } from "./service";

const committed = existsSync(specFile(service)) ? readFileSync(specFile(service), "utf8") : "";
let generated = "";
let spec: { paths: Record<string, Record<string, { security: unknown[] }>> };
beforeAll(async () => {
  generated = await generatedSpec(service);
  spec = JSON.parse(generated) as typeof spec;
});

it("openapi.json is what the routes declare, and src/app/openapi.d.ts its types", () => {
  if (committed !== generated) throw new Error(`openapi.json ${committed ? "is stale" : "is missing"}: run make openapi and commit it with the routes`);
  const types = existsSync(typesFile(service)) ? readFileSync(typesFile(service), "utf8") : "";
  if (types !== generatedTypes(committed))
    throw new Error(`src/app/openapi.d.ts ${types ? "is stale" : "is missing"}: run make openapi and commit it with the routes`);
});

/** Redocly's findings on a spec, errors and warnings alike: none passes. */
function lint(text: string): { status: number | null; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), "openapi-lint-")), "openapi.json");
  writeFileSync(file, text);
  const redocly = join(require.resolve("@redocly/cli/package.json", { paths: [CLI_ROOT] }), "..", "bin", "cli.js");
  const run = spawnSync(process.execPath, [redocly, "lint", "--config", join(CLI_ROOT, "presets", "redocly.yaml"), "--max-problems", "20", file], {
    encoding: "utf8",
    // Nothing leaves the machine: no usage data, no update check.
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

it("is lint-clean by Redocly's recommended rules, which do fail on a broken spec", () => {
  const clean = lint(generated);
  expect({ status: clean.status, warnings: /Warning was generated/.test(clean.output) }).toEqual({ status: 0, warnings: false });
  const broken = JSON.parse(generated) as { paths: Record<string, Record<string, { operationId?: string }>> };
  const [first, second] = Object.values(broken.paths).flatMap((methods) => Object.values(methods));
  second!.operationId = first!.operationId;
  expect(lint(JSON.stringify(broken)).output).toMatch(/operation-operationId-unique/);
});

it("describes every route the edge serves, with the same scopes and the same public routes", () => {
  const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const [security] = op.security as { jwt?: string[] }[];
      return { routeKey: `${method.toUpperCase()} ${path}`, public: security === undefined, scopes: security?.jwt ?? [] };
    }),
  );
  const edge = apiRouteTable(contract.api).map((r) => ({ routeKey: r.routeKey, public: r.public, scopes: r.scopes }));
  const byKey = (a: { routeKey: string }, b: { routeKey: string }) => a.routeKey.localeCompare(b.routeKey);
  expect(operations.sort(byKey)).toEqual(edge.sort(byKey));
});

describe("the walkthrough against the spec", () => {
  const admin = localClients();
  const tableName = uniqueTableName("contract");
  beforeAll(async () => {
    await ensureTable({ client: admin.client, tableName });
    await migrator({ ...admin, tableName, migrations: contract.api.migrations }).up();
  });
  afterAll(async () => {
    await deleteTable(admin.client, tableName);
    admin.client.destroy();
  });

  it("answers only statuses the spec declares, with bodies that match their schemas", async () => {
    const check = contractChecker(spec);
    const handler = createApiHandler(contract.api, { tableName, endpoint: localEndpoint() });
    const problems: string[] = [];
    let checked = 0;
    await walk(
      contract.walkthrough,
      async (r) => {
        const reply = await handler(
          apiEvent(r.method, r.path, { ...(r.query ? { query: r.query } : {}), ...(r.body === undefined ? {} : { body: r.body }) }, callerClaims(contract, r)),
        );
        const status = reply.statusCode ?? 200;
        const body = reply.body ? (JSON.parse(reply.body) as unknown) : undefined;
        const routeKey = operationOf(spec, r.method, r.path);
        const problem = routeKey ? check(routeKey, status, body) : { problem: "no operation of the spec matches it" };
        checked++;
        if (problem) problems.push(`${r.method} ${r.path} → ${status}: ${problem.problem}`);
        return { status, body };
      },
      () => {},
    );
    expect(checked).toBe(contract.walkthrough.length);
    expect(problems).toEqual([]);
  });
});
