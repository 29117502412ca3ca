import { DEFAULT_LOG_LEVEL } from "@dynamodb-starter/kit/runtime";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { bootstrapVars } from "../src/aws/bootstrap";
import { BACKFILL_WORKER, buildFunctions } from "../src/build";
import { isolatedLocalDeployment, type LocalDeployment } from "../src/deployments";
import { loadFunctions, type FunctionSpec } from "../src/functions";
import { deployLocal, destroyLocal, invokeLocal, localPaths } from "../src/local/localDeployment";
import { writeVarFile } from "../src/aws/terraform";
import { FIXTURE, fixtureDeployment } from "./support/functions";

// Adding a function is adding a module: a copy of the fixture app's src/handlers/ beside it (so that its imports of
// ../app resolve the same) with one new scheduled handler, then everything that reads the handlers, none of it told
// about the new one.
const handlersDir = join(FIXTURE.root, "src", `handlers-probe-${randomUUID().slice(0, 8)}`);
const NEW_HANDLER = `
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { connect, defineFunction } from "@dynamodb-starter/kit/runtime";
import { migrations } from "../app/migrations";

export async function handler() {
  const { documentClient, tableName } = await connect({ migrations });
  const { Count } = await documentClient.send(new ScanCommand({ TableName: tableName, Select: "COUNT" }));
  return { report: "items", count: Count };
}

export const config = defineFunction({
  trigger: { schedule: { expression: "rate(1 hour)" } },
  dynamodbActions: ["DescribeTable", "Query", "Scan"],
});
`;

let functions: FunctionSpec[];
let d: LocalDeployment;
beforeAll(async () => {
  mkdirSync(handlersDir);
  for (const file of readdirSync(FIXTURE.handlersDir)) cpSync(join(FIXTURE.handlersDir, file), join(handlersDir, file));
  writeFileSync(join(handlersDir, "nightlyReport.ts"), NEW_HANDLER);
  functions = loadFunctions(FIXTURE, handlersDir);
  d = await isolatedLocalDeployment("new-handler", FIXTURE);
});
afterAll(async () => {
  await destroyLocal(d, () => {});
  rmSync(handlersDir, { recursive: true, force: true });
});

describe("a handler module added to the handlers folder", () => {
  it("is built, granted its actions, wired into Terraform's variables and run by the local deployment", async () => {
    const added = functions.find((f) => f.name === "nightlyReport");
    expect(added).toMatchObject({ kind: "schedule", config: { trigger: { schedule: { expression: "rate(1 hour)" } } } });

    // Granted: the bootstrap gives its role exactly its actions, and no other function's role gains any.
    const vars = bootstrapVars(FIXTURE.deploymentsFile, () => "git@github.com:acme/service.git", functions);
    expect(vars.functions.nightlyReport).toEqual({
      table_actions: ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:Scan"],
      http: false,
      stream: false,
      schedule: true,
    });
    expect(vars.functions).toEqual({
      ...bootstrapVars(FIXTURE.deploymentsFile, () => "git@github.com:acme/service.git", loadFunctions(FIXTURE)).functions,
      nightlyReport: vars.functions.nightlyReport,
    });

    // Built and served: make deploy (local) builds every module and runs the new one on its schedule.
    const lines: string[] = [];
    await deployLocal(d, (line) => lines.push(line), functions);
    expect(existsSync(join(d.buildDir, "nightlyReport", "index.mjs"))).toBe(true);
    expect(lines.some((l) => /^local function nightlyReport \(pid \d+\) runs on its schedule/.test(l))).toBe(true);
    expect(readFileSync(localPaths(d).functionLog("nightlyReport"), "utf8")).toContain("local function local-nightlyReport scheduled every 3600 s");
    const output: string[] = [];
    await invokeLocal(d, added!, (line) => output.push(line));
    expect(output.join("\n")).toMatch(/"report": "items",\s+"count": \d+/);

    // Wired: make build zips it, and Terraform's variables give it its zip, the deployment's sizing and its schedule.
    const [built] = await buildFunctions(d.buildDir, [added!]);
    expect(built!.zipBytes).toBeGreaterThan(100_000);
    const dev = fixtureDeployment();
    const artifacts = [...functions.map((f) => f.name), BACKFILL_WORKER].map((name) => ({ name, zipFile: join(d.buildDir, `${name}.zip`) }));
    const tfvars = JSON.parse(readFileSync(writeVarFile(dev, functions, artifacts, FIXTURE, d.stateDir), "utf8")) as { functions: Record<string, unknown> };
    expect(tfvars.functions.nightlyReport).toEqual({
      zip: expect.stringMatching(/nightlyReport\.zip$/),
      memory_mb: dev.lambda.memoryMb,
      timeout_seconds: dev.lambda.timeoutSeconds,
      log_level: DEFAULT_LOG_LEVEL,
      http: false,
      schedule: { expression: "rate(1 hour)", timezone: "UTC" },
    });
  });

  it("is refused with the reason when it exports no config, or names its function after a GitHub role", () => {
    writeFileSync(join(handlersDir, "deploy.ts"), NEW_HANDLER);
    expect(() => loadFunctions(FIXTURE, handlersDir)).toThrow(
      'must be camelCase letters and digits (at most 40), and not "deploy", "plan", "drill" or "backfill"',
    );
    rmSync(join(handlersDir, "deploy.ts"));
    writeFileSync(join(handlersDir, "bare.ts"), "export const handler = async () => 1;\n");
    expect(() => loadFunctions(FIXTURE, handlersDir)).toThrow("must export a `handler` function and a `config`");
    rmSync(join(handlersDir, "bare.ts"));
  });
});
