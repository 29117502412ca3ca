/**
 * Cold start cost of the code: bundle size and module load time of the API
 * handler next to (a) a bare handler that only creates a DocumentClient and
 * (b) the API handler with umzug imported statically, all built with the
 * same esbuild settings and loaded round-robin in fresh Node processes.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildEntry, type Artifact } from "../build";

const ROOT = resolve(__dirname, "..", "..");

export interface ColdStartRow {
  variant: string;
  coldBytes: number;
  totalBytes: number;
  loadMs: number[];
}

const VARIANTS: Record<string, string> = {
  bare: `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => ({ statusCode: 200, body: String(Boolean(documentClient)) });`,
  "api+static umzug": `import * as umzug from "umzug";
export { handler } from "../../../src/handlers/api";
export const keep = umzug;`,
};

/** Median of a list of numbers. */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Milliseconds to import `file` in a fresh Node process (the process's own start excluded). */
function loadOnce(file: string): number {
  const script = `const t=process.hrtime.bigint();import(${JSON.stringify(file)}).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))`;
  const run = spawnSync(process.execPath, ["-e", script], {
    encoding: "utf8",
    env: { ...process.env, AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  if (run.status !== 0) throw new Error(`loading ${file} failed: ${run.stderr}`);
  return Number(run.stdout);
}

export async function measureColdStart(runs = 15): Promise<ColdStartRow[]> {
  const work = join(ROOT, "node_modules", ".cache", "bench");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const artifacts: [string, Artifact][] = [["api", await buildEntry(join(ROOT, "src", "handlers", "api.ts"), join(work, "out"), "api")]];
  for (const [variant, source] of Object.entries(VARIANTS)) {
    const entry = join(work, `${variant.replace(/\W+/g, "-")}.ts`);
    writeFileSync(entry, source);
    artifacts.push([variant, await buildEntry(entry, join(work, "out"), variant.replace(/\W+/g, "-"))]);
  }
  const times = new Map<string, number[]>(artifacts.map(([variant]) => [variant, []]));
  for (let i = 0; i < runs; i++) for (const [variant, a] of artifacts) times.get(variant)!.push(loadOnce(a.entry));
  return artifacts.map(([variant, a]) => ({ variant, coldBytes: a.coldBytes, totalBytes: a.coldBytes + a.lazyBytes, loadMs: times.get(variant)! }));
}

if (require.main === module) {
  measureColdStart().then((rows) => {
    const bare = rows.find((r) => r.variant === "bare")!;
    for (const r of rows) {
      console.log(
        `${r.variant.padEnd(18)} cold ${(r.coldBytes / 1024).toFixed(1).padStart(7)} KB (${(r.coldBytes / bare.coldBytes).toFixed(2)}x)  ` +
          `all ${(r.totalBytes / 1024).toFixed(1).padStart(7)} KB  load median ${median(r.loadMs).toFixed(1).padStart(6)} ms (${(median(r.loadMs) / median(bare.loadMs)).toFixed(2)}x)`,
      );
    }
  });
}
