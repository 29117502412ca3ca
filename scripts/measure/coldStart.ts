/**
 * What a cold start costs a user: in a fresh Node process, load the bundle
 * and answer the first request. The API handler answers the app's first
 * read (connect(): DescribeTable and the migrations Query, then one
 * GetItem); the bare handler, a DocumentClient and nothing else, answers one
 * GetItem. A third build imports umzug statically, to show what the lazy
 * import saves. All are built with the handler's esbuild settings and run
 * round-robin against the same DynamoDB Local.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { contract } from "../../src/app/contract";
import { LOCAL_REGION } from "@dynamodb-starter/kit/runtime";
import { callerClaims } from "../../src/contract";
import { apiGatewayEvent, jwtContext } from "@dynamodb-starter/kit/testing";
import { HANDLER, buildEntry, type Artifact } from "../build";

const ROOT = resolve(__dirname, "..", "..");

export interface ColdStartRow {
  variant: "api" | "bare" | "api+static umzug" | "api+powertools logger";
  coldBytes: number;
  totalBytes: number;
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

const STATIC_UMZUG = `import * as umzug from "umzug";
export { handler } from "../../../src/handlers/${HANDLER}";
export const keep = umzug;`;

// The same request line written through Powertools' Logger instead of the library's console.log.
const POWERTOOLS = `import { Logger } from "@aws-lambda-powertools/logger";
import { handler as api } from "../../../src/handlers/${HANDLER}";
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
  const script = `const t=process.hrtime.bigint();const ms=()=>Number(process.hrtime.bigint()-t)/1e6;
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
export async function measureColdStart({ endpoint, tableName, runs = 15 }: { endpoint: string; tableName: string; runs?: number }): Promise<ColdStartRow[]> {
  const work = join(ROOT, "node_modules", ".cache", "bench");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const entry = (name: string, source: string) => {
    const file = join(work, `${name}.ts`);
    writeFileSync(file, source);
    return file;
  };
  const artifacts: [ColdStartRow["variant"], Artifact][] = [
    ["api", await buildEntry(join(ROOT, "src", "handlers", `${HANDLER}.ts`), join(work, "out"), "api")],
    ["bare", await buildEntry(entry("bare", BARE), join(work, "out"), "bare")],
    ["api+static umzug", await buildEntry(entry("static-umzug", STATIC_UMZUG), join(work, "out"), "static-umzug")],
    ["api+powertools logger", await buildEntry(entry("powertools", POWERTOOLS), join(work, "out"), "powertools")],
  ];
  const first = contract.load.reads[0]!;
  const apiEvent = apiGatewayEvent({
    method: first.method,
    rawPath: first.path,
    rawQueryString: new URLSearchParams(first.query ?? {}).toString(),
    jwt: jwtContext(callerClaims(contract, first)),
  });
  const env = {
    ...process.env,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: tableName,
    CURSOR_SECRET: "bench-cursor-secret-not-for-production",
    // What Lambda would do, in the library's own words: report pending migrations, log one line per request.
    MIGRATIONS_ON_CONNECT: "fail",
    REQUEST_LOG: "on",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  const rows = artifacts.map(([variant, a]): ColdStartRow => ({
    variant,
    coldBytes: a.coldBytes,
    totalBytes: a.coldBytes + a.lazyBytes,
    loadMs: [],
    firstResponseMs: [],
  }));
  for (let i = 0; i < runs; i++) {
    for (const [index, [variant, a]] of artifacts.entries()) {
      const { loadMs, firstResponseMs } = variant === "bare" ? runOnce(a.entry, {}, 200, env) : runOnce(a.entry, apiEvent, first.status, env);
      rows[index]!.loadMs.push(loadMs);
      rows[index]!.firstResponseMs.push(firstResponseMs);
    }
  }
  return rows;
}
