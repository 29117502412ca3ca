/**
 * `make bench`: the template measured against the alternatives a team would
 * pick, side by side in one run, as medians and ratios (absolute times drift
 * on shared machines). Prints one table and writes bench/results.json.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import autocannon from "autocannon";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { backfill } from "../src/db/backfill";
import { batchWriteAll } from "../src/db/batchWrite";
import { createClient, createDocumentClient } from "../src/db/clients";
import { connect } from "../src/db/connect";
import { describeTable } from "../src/db/describeTable";
import { ensureTable } from "../src/db/ensureTable";
import type { Migration } from "../src/db/migration";
import { dynamoMigrationStorage } from "../src/db/migrationStorage";
import { measureColdStart, median } from "./bench/coldStart";
import { isolatedLocalDeployment } from "./deployments";
import { startLocalDynamo } from "./localDynamo";

interface Row {
  row: string;
  measure: string;
  value: string;
  compared: string;
  ratio: string;
  target: string;
  ok: boolean | null;
}

const rows: Row[] = [];
const results: Record<string, unknown> = {};
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const kb = (bytes: number) => `${fmt(bytes / 1024)} KB`;
const log = (line: string) => process.stderr.write(`${line}\n`);

function countRequests(client: DynamoDBClient): { count: () => number; maxInFlight: () => number; reset: () => void } {
  let count = 0;
  let inFlight = 0;
  let max = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      count++;
      max = Math.max(max, ++inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: "initialize", name: "bench-count" },
  );
  return { count: () => count, maxInFlight: () => max, reset: () => ((count = 0), (max = 0)) };
}

async function coldStartRow() {
  log("1/5 cold start: building three bundles, loading each 15 times in fresh processes");
  const measured = await measureColdStart(15);
  const [api, bare, umzug] = ["api", "bare", "api+static umzug"].map((v) => measured.find((m) => m.variant === v)!);
  const sizeRatio = api!.coldBytes / bare!.coldBytes;
  const loadRatio = median(api!.loadMs) / median(bare!.loadMs);
  rows.push(
    { row: "1 cold start", measure: "API bundle, loaded at cold start", value: kb(api!.coldBytes), compared: `bare DocumentClient ${kb(bare!.coldBytes)}`, ratio: `${fmt(sizeRatio, 2)}x`, target: "<= 1.3x", ok: sizeRatio <= 1.3 },
    { row: "", measure: "API module load (median of 15)", value: `${fmt(median(api!.loadMs))} ms`, compared: `bare ${fmt(median(bare!.loadMs))} ms`, ratio: `${fmt(loadRatio, 2)}x`, target: "<= 1.3x", ok: loadRatio <= 1.3 },
    { row: "", measure: "same API, umzug imported statically", value: `${kb(umzug!.coldBytes)}, ${fmt(median(umzug!.loadMs))} ms`, compared: "API as built", ratio: `${fmt(umzug!.coldBytes / api!.coldBytes, 2)}x size, ${fmt(median(umzug!.loadMs) / median(api!.loadMs), 2)}x load`, target: "", ok: null },
  );
  results.coldStart = measured.map((m) => ({ ...m, loadMedianMs: median(m.loadMs) }));
}

async function connectRow(endpoint: string) {
  log("2/5 connect(): cold with nothing pending, warm, and a sequential variant");
  const admin = createClient({ region: "us-east-1", endpoint });
  const none: Migration[] = [];
  const cold: number[] = [];
  const sequential: number[] = [];
  let coldRequests = 0;
  let coldInFlight = 0;
  let warmNs = 0;
  let warmRequests = 0;
  for (let i = 0; i < 15; i++) {
    const tableName = `bench-connect-${i}`;
    await ensureTable({ client: admin, tableName });
    const client = createClient({ region: "us-east-1", endpoint });
    const counter = countRequests(client);
    // Sequential variant on its own client: DescribeTable, then the migrations Query.
    const seqClient = createClient({ region: "us-east-1", endpoint });
    const t0 = performance.now();
    await describeTable(seqClient, tableName);
    await dynamoMigrationStorage({ documentClient: createDocumentClient(seqClient), tableName }).executed({ context: undefined });
    sequential.push(performance.now() - t0);
    seqClient.destroy();

    const t1 = performance.now();
    await connect({ tableName, client, migrations: none, onPending: "fail", log: () => {} });
    cold.push(performance.now() - t1);
    coldRequests = counter.count();
    coldInFlight = counter.maxInFlight();

    if (i === 0) {
      counter.reset();
      const calls = 1_000_000;
      const t2 = process.hrtime.bigint();
      for (let j = 0; j < calls; j++) await connect({ tableName, client });
      warmNs = Number(process.hrtime.bigint() - t2) / calls;
      warmRequests = counter.count();
    }
    client.destroy();
  }
  admin.destroy();
  const umzugLoaded = Object.keys(require.cache).some((p) => p.includes("/node_modules/umzug/"));
  const umzugLoad = median(
    Array.from({ length: 5 }, () => {
      const run = spawnSync(process.execPath, ["-e", "const t=process.hrtime.bigint();require('umzug');process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))"], { encoding: "utf8" });
      return Number(run.stdout);
    }),
  );
  rows.push(
    { row: "2 connect()", measure: "cold, nothing pending (median of 15)", value: `${fmt(median(cold))} ms, ${coldRequests} requests, ${coldInFlight} in flight`, compared: `sequential ${fmt(median(sequential))} ms + umzug load ${fmt(umzugLoad)} ms`, ratio: `${fmt(median(cold) / (median(sequential) + umzugLoad), 2)}x`, target: "2 requests in parallel, no umzug", ok: coldRequests === 2 && coldInFlight === 2 && !umzugLoaded },
    { row: "", measure: "warm (1,000,000 calls)", value: `${fmt(warmNs, 0)} ns/op, ${warmRequests} requests`, compared: "", ratio: "", target: "0 requests", ok: warmRequests === 0 },
  );
  results.connect = { coldMs: cold, sequentialMs: sequential, umzugLoadMs: umzugLoad, coldRequests, coldInFlight, warmNsPerOp: warmNs, warmRequests, umzugLoaded };
}

async function migrationsRow(endpoint: string) {
  log("3/5 migrations at scale: applying 10, 100 and 1,000 no-op migrations, then status over 1,000");
  const { migrator } = await import("../src/db/migrationRunner");
  const client = createClient({ region: "us-east-1", endpoint });
  const documentClient = createDocumentClient(client);
  const perMigration: Record<string, number> = {};
  let applied100 = 0;
  for (const n of [10, 100, 1000]) {
    const tableName = `bench-migrations-${n}`;
    await ensureTable({ client, tableName });
    const migrations: Migration[] = Array.from({ length: n }, (_, i) => ({ name: `m${String(i).padStart(5, "0")}`, up: async () => {}, down: async () => {} }));
    const t = performance.now();
    await migrator({ client, documentClient, tableName, migrations }).up();
    const ms = performance.now() - t;
    perMigration[n] = ms / n;
    if (n === 100) applied100 = ms;
  }
  const counter = countRequests(client);
  const statusTimes: number[] = [];
  let pages = 0;
  for (let i = 0; i < 5; i++) {
    counter.reset();
    const t = performance.now();
    const names = await dynamoMigrationStorage({ documentClient, tableName: "bench-migrations-1000" }).executed({ context: undefined });
    statusTimes.push(performance.now() - t);
    pages = counter.count();
    if (names.length !== 1000) throw new Error(`status read ${names.length} of 1000 migrations`);
  }
  client.destroy();
  const linear = perMigration[1000]! / perMigration[10]!;
  rows.push(
    { row: "3 migrations", measure: "apply 100 no-op migrations", value: `${fmt(applied100 / 1000, 2)} s`, compared: "", ratio: "", target: "", ok: null },
    { row: "", measure: "per migration at 10 / 100 / 1,000", value: `${fmt(perMigration[10]!)} / ${fmt(perMigration[100]!)} / ${fmt(perMigration[1000]!)} ms`, compared: "at 10", ratio: `${fmt(linear, 2)}x at 1,000`, target: "linear (<= 2x)", ok: linear <= 2 },
    { row: "", measure: "status with 1,000 executed (median of 5)", value: `${fmt(median(statusTimes))} ms, ${pages} page(s)`, compared: "", ratio: "", target: "", ok: null },
  );
  results.migrations = { perMigrationMs: perMigration, apply100Ms: applied100, status1000Ms: statusTimes, status1000Pages: pages };
}

async function backfillRow(endpoint: string) {
  const items = 20_000;
  log(`4/5 backfill: ${items} items with backfill() against a sequential PutItem loop`);
  const client = createClient({ region: "us-east-1", endpoint });
  const documentClient = createDocumentClient(client);
  const tableName = "bench-backfill";
  await ensureTable({ client, tableName });
  const source = Array.from({ length: items }, (_, i) => ({ pk: `ITEM#${i}`, sk: "A", n: i }));
  await batchWriteAll({ documentClient, tableName }, source.map((Item) => ({ PutRequest: { Item } })));

  const result = await backfill({ documentClient, tableName, segments: 4, transform: (item) => ({ ...item, migrated: 1 }) });
  const t = performance.now();
  for (const item of source) await documentClient.send(new PutCommand({ TableName: tableName, Item: { ...item, migrated: 2 } }));
  const naiveMs = performance.now() - t;
  client.destroy();
  const fast = result.written / (result.ms / 1000);
  const naive = items / (naiveMs / 1000);
  rows.push({ row: "4 backfill", measure: `backfill() over ${items} items`, value: `${fmt(fast, 0)} items/s`, compared: `sequential PutItem ${fmt(naive, 0)} items/s`, ratio: `${fmt(fast / naive, 1)}x`, target: ">= 5x", ok: fast / naive >= 5 });
  results.backfill = { items, backfillMs: result.ms, backfillItemsPerSecond: fast, naiveMs, naiveItemsPerSecond: naive, written: result.written };
}

async function httpRow() {
  log("5/5 HTTP path: an isolated local deployment, a read route and a write route, 10 connections for 5 s each");
  // Loaded here, not at the top: the local deployment's pre-step imports umzug, which row 2 checks connect() never loads.
  const { deployLocal, destroyLocal } = await import("./localDeployment");
  const d = await isolatedLocalDeployment("bench");
  try {
    const { url } = await deployLocal(d, () => {});
    await fetch(`${url}/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "bench@example.com", name: "Bench" }) });
    let n = 0;
    const read = await autocannon({ url: `${url}/users/bench@example.com`, connections: 10, duration: 5 });
    const write = await autocannon({
      url,
      connections: 10,
      duration: 5,
      requests: [{ method: "POST", path: "/users", headers: { "content-type": "application/json" }, setupRequest: (r) => ({ ...r, body: JSON.stringify({ email: `bench-${n++}@example.com`, name: "B" }) }) }],
    });
    for (const [name, r] of [["GET /users/{email}", read], ["POST /users", write]] as const) {
      const errors = r.non2xx + r.errors + r.timeouts;
      rows.push({ row: name === "GET /users/{email}" ? "5 HTTP" : "", measure: name, value: `${fmt(r.requests.average, 0)} req/s`, compared: `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`, ratio: "", target: "no errors", ok: errors === 0 });
      results[`http ${name}`] = { requestsPerSecond: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, errors };
    }
  } finally {
    await destroyLocal(d, () => {});
  }
}

function table(): string {
  const header: Row = { row: "row", measure: "measure", value: "value", compared: "compared with", ratio: "ratio", target: "target", ok: null };
  const cells = (r: Row) => [r.row, r.measure, r.value, r.compared, r.ratio, r.target, r.ok === null ? "" : r.ok ? "holds" : "MISSED"];
  const all = [header, ...rows].map((r, i) => (i === 0 ? [...cells(r).slice(0, 6), "result"] : cells(r)));
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`);
  lines.splice(1, 0, `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  return lines.join("\n");
}

async function main() {
  const started = Date.now();
  await coldStartRow();
  const dynamo = await startLocalDynamo();
  try {
    await connectRow(dynamo.endpoint);
    await migrationsRow(dynamo.endpoint);
    await backfillRow(dynamo.endpoint);
  } finally {
    await dynamo.stop();
  }
  await httpRow();
  const out = table();
  console.log(`\n${out}\n\nmeasured on ${process.platform} ${process.arch}, node ${process.version}, in ${fmt((Date.now() - started) / 1000)} s`);
  const dir = resolve(__dirname, "..", "bench");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "results.json"), `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rows, results }, null, 2)}\n`);
  if (rows.some((r) => r.ok === false)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
