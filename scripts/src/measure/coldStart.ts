/**
 * What a cold start costs a user: in a fresh Node process, load the bundle
 * and answer the first request. The bare handler, a DocumentClient and
 * nothing else, answers one GetItem; the kit handler (the kit's runtime
 * alone, one route) answers one GetItem after connect()'s check
 * (DescribeTable and the migrations Query); the API handler answers the
 * app's first read. Other builds show what source maps at run time, a static
 * umzug import and Powertools' Logger would cost. All are built with the
 * handler's esbuild settings and run round-robin against the same DynamoDB
 * Local, with the environment Terraform gives the function.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_REGION } from "@dynamodb-starter/kit/runtime";
import { callerClaims, withCaptured } from "@dynamodb-starter/kit/contract";
import { apiGatewayEvent, jwtContext } from "@dynamodb-starter/kit/testing";
import { relative } from "node:path";
import { buildEntry, staticClosure, type Artifact } from "../build";
import { httpFunction, loadFunctions } from "../functions";
import { telemetryOff } from "./telemetryOff";
import { loadContract, project, type Project } from "../project";

export interface ColdStartRow {
  variant: "api" | "bare" | "kit" | "kit, telemetry off" | "api+source maps" | "api+static umzug" | "api+powertools logger";
  coldBytes: number;
  totalBytes: number;
  /** Bytes loaded at cold start, by package (node_modules/<name>, or kit, app, handler). */
  packages: Record<string, number>;
  /** Module load alone, per run. */
  loadMs: number[];
  /** Load plus the first request answered, per run. */
  firstResponseMs: number[];
}

const BARE = `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT }));
export const handler = async () => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: "bench", sk: "bench" } }));
  return { statusCode: 200, body: JSON.stringify(Item ?? null) };
};`;

// The kit's runtime alone: its HTTP handler, router, caller check and connect() (DescribeTable and the
// migrations Query at cold start), with one route doing one GetItem: what the template itself costs.
const KIT = `import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createApiHandler, json } from "@dynamodb-starter/kit/runtime";
export const handler = createApiHandler({
  migrations: [],
  routes: {
    "GET /items/{id}": async ({ read }) => {
      const { Item } = await read(({ documentClient, tableName }) => documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "bench", sk: "bench" } })));
      return json(200, Item ?? null);
    },
  },
});`;

const staticUmzug = (handlerFile: string) => `import * as umzug from "umzug";
export { handler } from ${JSON.stringify(handlerFile)};
export const keep = umzug;`;

// The same request line written through Powertools' Logger instead of the library's console.log.
const powertools = (handlerFile: string) => `import { Logger } from "@aws-lambda-powertools/logger";
import { handler as api } from ${JSON.stringify(handlerFile)};
const logger = new Logger({ serviceName: "api" });
export const handler = async (event) => {
  const result = await api(event);
  logger.info("request", { route: "measured", status: result.statusCode });
  return result;
};`;

/** Median of a list of numbers. */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One fresh process: import the bundle, answer `event`; prints both times. Fails on an unexpected status. */
function runOnce(file: string, event: unknown, status: number, env: NodeJS.ProcessEnv): { loadMs: number; firstResponseMs: number } {
  // Lambda's runtime has its log stream open before it loads the handler; so does this process (a first write to stdout costs ~10 ms).
  const script = `process.stdout.write("");const t=process.hrtime.bigint();const ms=()=>Number(process.hrtime.bigint()-t)/1e6;
import(${JSON.stringify(file)}).then(async(m)=>{const loaded=ms();const r=await m.handler(${JSON.stringify(event)});
if(r.statusCode!==${status})throw new Error("status "+r.statusCode+": "+r.body);
process.stdout.write("\\n@@"+JSON.stringify({loadMs:loaded,firstResponseMs:ms()}))})`;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env });
  if (run.status !== 0) throw new Error(`running ${file} failed: ${run.stderr}`);
  // The handler may log to stdout too (its request line); the measurement is the last line, after its marker.
  return JSON.parse(run.stdout.split("\n@@").at(-1)!) as { loadMs: number; firstResponseMs: number };
}

/**
 * Builds the three variants and runs each `runs` times against `endpoint`,
 * whose `tableName` must be migrated and hold the app's load setup.
 */
export async function measureColdStart({
  endpoint,
  tableName,
  runs = 15,
  p = project(),
  captured = {},
}: {
  endpoint: string;
  tableName: string;
  runs?: number;
  p?: Project;
  /** What the load mix's setup captured, for its first read's placeholders. */
  captured?: Record<string, string>;
}): Promise<ColdStartRow[] & { telemetryStubbed: string[] }> {
  const contract = loadContract(p);
  const api = httpFunction(loadFunctions(p)).file;
  const work = join(p.distDir, "bench", "cold-start"); // under the service root, where its tsconfig.json resolves the kit
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const entry = (name: string, source: string) => {
    const file = join(work, `${name}.ts`);
    writeFileSync(file, source);
    return file;
  };
  const off = telemetryOff();
  const artifacts: [ColdStartRow["variant"], Artifact][] = [
    ["api", await buildEntry(api, join(work, "out"), "api")],
    ["bare", await buildEntry(entry("bare", BARE), join(work, "out"), "bare")],
    ["kit", await buildEntry(entry("kit", KIT), join(work, "out"), "kit")],
    ["kit, telemetry off", await buildEntry(entry("kit", KIT), join(work, "out"), "kit-telemetry-off", { plugins: [off.plugin] })],
    ["api+source maps", await buildEntry(api, join(work, "out"), "api-source-maps")],
    ["api+static umzug", await buildEntry(entry("static-umzug", staticUmzug(api)), join(work, "out"), "static-umzug")],
    ["api+powertools logger", await buildEntry(entry("powertools", powertools(api)), join(work, "out"), "powertools")],
  ];
  const first = withCaptured(contract.load.reads[0]!, captured);
  const apiEvent = apiGatewayEvent({
    method: first.method,
    rawPath: first.path,
    rawQueryString: new URLSearchParams(first.query ?? {}).toString(),
    jwt: jwtContext(callerClaims(contract, first)),
  });
  const { NODE_OPTIONS: _theShells, ...inherited } = process.env;
  const env = {
    ...inherited,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: tableName,
    CURSOR_SECRET: "bench-cursor-secret-not-for-production",
    // As in Lambda: pending migrations reported, one line per request, one invocation at a time (telemetry.ts).
    AWS_LAMBDA_FUNCTION_NAME: "bench-api",
    MIGRATIONS_ON_CONNECT: "fail",
    TELEMETRY: "on",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  const rows = artifacts.map(([variant, a]): ColdStartRow => ({
    variant,
    coldBytes: a.coldBytes,
    totalBytes: a.coldBytes + a.lazyBytes,
    packages: coldBytesByPackage(a),
    loadMs: [],
    firstResponseMs: [],
  }));
  const kitEvent = apiGatewayEvent({ method: "GET", rawPath: "/items/bench", jwt: jwtContext({ sub: "bench" }) });
  // What Terraform gives the function (scripts/terraform/service/lambda.tf) is what every variant runs with; "api+source maps" adds
  // NODE_OPTIONS=--enable-source-maps, which the function no longer sets (stacks are mapped offline: make stack).
  const sourceMaps = { ...env, NODE_OPTIONS: "--enable-source-maps" };
  for (let i = 0; i < runs; i++) {
    for (const [index, [variant, a]] of artifacts.entries()) {
      const { loadMs, firstResponseMs } =
        variant === "bare"
          ? runOnce(a.entry, {}, 200, env)
          : variant === "kit" || variant === "kit, telemetry off"
            ? runOnce(a.entry, kitEvent, 200, env)
            : runOnce(a.entry, apiEvent, first.status, variant === "api+source maps" ? sourceMaps : env);
      rows[index]!.loadMs.push(loadMs);
      rows[index]!.firstResponseMs.push(firstResponseMs);
    }
  }
  return Object.assign(rows, { telemetryStubbed: off.replaced() });
}

/** What the cold path of an artifact holds, by package: esbuild's metafile, bytes each input contributes to the outputs loaded at cold start. */
function coldBytesByPackage(a: Artifact): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const output of staticClosure(a.metafile, relative(process.cwd(), a.entry))) {
    for (const [input, { bytesInOutput }] of Object.entries(a.metafile.outputs[output]!.inputs)) {
      const name =
        /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? (/src\/kit\//.test(input) ? "kit" : /src\/app\//.test(input) ? "app" : "handler and other");
      sums[name] = (sums[name] ?? 0) + bytesInOutput;
    }
  }
  return sums;
}
