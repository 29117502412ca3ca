/**
 * What ships is what is tested: the fixture's HTTP function, built as make build builds it, copied alone into an
 * empty folder (no node_modules, no sources) and run there by plain Node, as Lambda runs it. Every mode the docs offer
 * for pending migrations: refused with 503 by default (MIGRATIONS_ON_CONNECT=fail, as in Lambda), applied under the
 * lock with MIGRATIONS_ON_CONNECT=apply, after which the request is served.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callerClaims } from "@dynamodb-starter/kit/contract";
import { ensureTable, migrator } from "@dynamodb-starter/kit/ops";
import { apiGatewayEvent, deleteTable, jwtContext, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { buildFunctions } from "../src/build";
import { httpFunction } from "../src/functions";
import { loadContract } from "../src/project";
import { FIXTURE, FUNCTIONS } from "./support/functions";

const contract = loadContract(FIXTURE);
const admin = localClients();
const tableName = uniqueTableName("artifact");
const work = mkdtempSync(join(tmpdir(), "artifact-"));
const alone = join(work, "function");

// Runs the handler once on `event`, in a process of its own whose only file is the artifact: prints its answer.
const INVOKE = `const { handler } = await import(process.env.HANDLER);
const result = await handler(JSON.parse(process.env.EVENT), { awsRequestId: "artifact-test", getRemainingTimeInMillis: () => 10000 });
process.stdout.write("\\nRESULT " + JSON.stringify(result) + "\\n");`;

function invoke(settings: Record<string, string>): { statusCode: number; body: string } {
  const [request] = contract.walkthrough;
  const event = apiGatewayEvent({
    method: request!.method,
    rawPath: request!.path,
    headers: { "content-type": "application/json" },
    ...(request!.body === undefined ? {} : { body: JSON.stringify(request!.body) }),
    jwt: jwtContext(callerClaims(contract, request!)),
  });
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", INVOKE], {
    cwd: alone,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH,
      HANDLER: join(alone, "index.mjs"),
      EVENT: JSON.stringify(event),
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: localEndpoint(),
      AWS_REGION: "local",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      CURSOR_SECRET: "artifact-test-cursor-secret-of-32-bytes!",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...settings,
    },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`the artifact's process failed (${run.status}): ${run.stderr}`);
  // The function logs on stdout too, as in Lambda: its answer is the line marked RESULT.
  const answer = run.stdout.split("\n").find((line) => line.startsWith("RESULT "));
  if (!answer) throw new Error(`the artifact answered nothing: ${run.stdout}${run.stderr}`);
  return JSON.parse(answer.slice("RESULT ".length)) as { statusCode: number; body: string };
}

beforeAll(async () => {
  const [built] = await buildFunctions(join(work, "dist"), [httpFunction(FUNCTIONS)], { zip: false });
  cpSync(join(work, "dist", built!.name), alone, { recursive: true });
  await ensureTable({ client: admin.client, tableName });
}, 120_000);
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe("the built HTTP function, run alone from its folder", () => {
  it("holds nothing but its bundle", () => {
    expect(readdirSync(alone).filter((f) => !/^(index\.mjs|index\.mjs\.map|chunks)$/.test(f))).toEqual([]);
  });

  it("answers 503 while migrations are pending, as it does in Lambda and with MIGRATIONS_ON_CONNECT=fail, and applies none", async () => {
    for (const settings of [{ AWS_LAMBDA_FUNCTION_NAME: "staging-http" }, { MIGRATIONS_ON_CONNECT: "fail" }] as Record<string, string>[]) {
      const answer = invoke(settings);
      expect({ settings, statusCode: answer.statusCode }).toEqual({ settings, statusCode: 503 });
    }
    const m = migrator({ ...admin, tableName, migrations: contract.api.migrations });
    expect((await m.status()).executed).toEqual([]);
  });

  it("applies them with MIGRATIONS_ON_CONNECT=apply, each once, and serves the request", async () => {
    const [request] = contract.walkthrough;
    const answer = invoke({ AWS_LAMBDA_FUNCTION_NAME: "staging-http", MIGRATIONS_ON_CONNECT: "apply" });
    expect({ statusCode: answer.statusCode, body: answer.body }).toEqual({ statusCode: request!.status, body: expect.any(String) });
    const m = migrator({ ...admin, tableName, migrations: contract.api.migrations });
    expect((await m.status()).executed).toEqual(contract.api.migrations.map((x) => x.name));
    expect(contract.api.migrations.length).toBeGreaterThan(0);
  });
});
