/**
 * `make bench`: the template measured against the alternatives a team would
 * pick, side by side in one run, as medians and ratios (absolute times drift
 * on shared machines). Prints one table, writes bench/results.json, and
 * exits non-zero when a target is missed.
 */
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LOCAL_REGION, batchWriteAll, connect, createApiHandler, createClient, createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { callerClaims, walk } from "@dynamodb-starter/kit/contract";
import { describeTable, dynamoMigrationStorage, ensureTable } from "@dynamodb-starter/kit/ops";
import { apiEvent, countRequests } from "@dynamodb-starter/kit/testing";
import { backfill } from "@dynamodb-starter/kit/ops";
import { CLI_ROOT, loadContract, project, type Project } from "../project";
import { buildEntry } from "../build";
import { kb, textTable } from "../format";
import { startLocalDynamo } from "../local/dynamoDbLocal";
import { measureColdStart, median, type ColdStartRow } from "./coldStart";
import { measureStreamConsumers } from "./streamConsumer";

export interface Row {
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
const log = (line: string) => process.stderr.write(`${line}\n`);
const STEPS = 5;

async function coldStartRow(endpoint: string) {
  log(`3/${STEPS} cold start: seven bundles, each loaded and answering its first request 21 times in fresh processes, round-robin`);
  // A migrated table holding the app's load setup, so that the app's first read finds its item.
  const tableName = "bench-cold-start";
  const client = createClient({ region: LOCAL_REGION, endpoint });
  await ensureTable({ client, tableName });
  const { migrator } = await import("@dynamodb-starter/kit/ops");
  const contract = loadContract();
  await migrator({ client, documentClient: createDocumentClient(client), tableName, migrations: contract.api.migrations }).up();
  const handler = createApiHandler(contract.api, { tableName, endpoint });
  const captured = await walk(
    contract.load.setup,
    async (r) => {
      const reply = await handler(apiEvent(r.method, r.path, { ...(r.query ? { query: r.query } : {}), body: r.body }, callerClaims(contract, r)));
      return { status: reply.statusCode ?? 200, body: reply.body ? (JSON.parse(reply.body) as unknown) : undefined };
    },
    (r, reply) => {
      if (reply.status !== r.status) throw new Error(`setup ${r.method} ${r.path} answered ${reply.status}`);
    },
  );
  client.destroy();

  const measured = await measureColdStart({ endpoint, tableName, runs: 21, captured });
  const [api, bare, kit, kitOff, sourceMaps, umzug, powertools] = (
    ["api", "bare", "kit", "kit, telemetry off", "api+source maps", "api+static umzug", "api+powertools logger"] as const
  ).map((v) => measured.find((m) => m.variant === v)!);
  const first = (r: typeof api) => median(r!.firstResponseMs);
  const load = (r: typeof api) => median(r!.loadMs);
  // Each round's run against the bare run next to it, so drift in the machine's speed cancels out.
  const perRound = (a: typeof api, b: typeof api) => median(a!.firstResponseMs.map((ms, i) => ms / b!.firstResponseMs[i]!));
  const kitRatio = perRound(kit, bare);
  const top = (r: typeof api) =>
    Object.entries(r!.packages)
      .sort(([, x], [, y]) => y - x)
      .slice(0, 6)
      .map(([name, bytes]) => `${name} ${kb(bytes)}`)
      .join(", ");
  rows.push(
    {
      row: "3 cold start",
      measure: "the kit's runtime alone (one route, one GetItem, connect()'s check): load + first request, medians of 21",
      value: `${fmt(first(kit))} ms`,
      compared: `bare DocumentClient GetItem ${fmt(first(bare))} ms`,
      ratio: `${fmt(kitRatio, 2)}x`,
      target: "<= 1.2x",
      ok: kitRatio <= 1.2,
    },
    telemetryRow(kit!, kitOff!, measured.telemetryStubbed, perRound(kit, kitOff)),
    {
      row: "",
      measure: "the example app (no target: its own choices)",
      value: `${fmt(first(api))} ms; load alone ${fmt(load(api))} ms`,
      compared: `bare ${fmt(first(bare))} ms; load alone ${fmt(load(bare))} ms`,
      ratio: `${fmt(perRound(api, bare), 2)}x; ${fmt(load(api) / load(bare), 2)}x`,
      target: "",
      ok: null,
    },
    {
      row: "",
      measure: "bundle loaded at cold start, by package",
      value: `app ${kb(api!.coldBytes)}: ${top(api)}`,
      compared: `kit ${kb(kit!.coldBytes)}, bare ${kb(bare!.coldBytes)}`,
      ratio: `${fmt(api!.coldBytes / bare!.coldBytes, 2)}x, ${fmt(kit!.coldBytes / bare!.coldBytes, 2)}x`,
      target: "",
      ok: null,
    },
    {
      row: "",
      measure: "the app with NODE_OPTIONS=--enable-source-maps (what the function set before)",
      value: `${fmt(first(sourceMaps))} ms; load alone ${fmt(load(sourceMaps))} ms`,
      compared: `without ${fmt(first(api))} ms; ${fmt(load(api))} ms`,
      ratio: `${fmt(perRound(sourceMaps, api), 2)}x; ${fmt(load(sourceMaps) / load(api), 2)}x`,
      target: "",
      ok: null,
    },
    {
      row: "",
      measure: "same API, umzug imported statically",
      value: `${kb(umzug!.coldBytes)}, ${fmt(first(umzug))} ms`,
      compared: "API as built",
      ratio: `${fmt(umzug!.coldBytes / api!.coldBytes, 2)}x size, ${fmt(first(umzug) / first(api), 2)}x time`,
      target: "",
      ok: null,
    },
    {
      row: "",
      measure: "same API, request line through Powertools Logger",
      value: `${kb(powertools!.coldBytes)}, ${fmt(first(powertools))} ms`,
      compared: "API as built (console.log JSON line)",
      ratio: `+${kb(powertools!.coldBytes - api!.coldBytes)}, ${fmt(perRound(powertools, api), 2)}x time`,
      target: "",
      ok: null,
    },
  );
  results.coldStart = measured.map((m) => ({ ...m, loadMedianMs: median(m.loadMs), firstResponseMedianMs: median(m.firstResponseMs) }));
  await streamConsumerRows(endpoint, tableName);
}

/**
 * The kit with its telemetry (correlation ids, log lines, the metric line, the DynamoDB meter) against the same kit
 * with both replaced by no-ops (measure/telemetryOff.ts), side by side in the same rounds.
 */
function telemetryRow(on: ColdStartRow, off: ColdStartRow, stubbed: string[], ratio: number): Row {
  if (stubbed.length < 2)
    return {
      row: "",
      measure: "the kit with its telemetry on vs off",
      value: "not measured: the kit is prebuilt here, so nothing could be turned off",
      compared: "",
      ratio: "",
      target: "",
      ok: null,
    };
  const grew = on.coldBytes - off.coldBytes;
  return {
    row: "",
    measure: "the kit with its telemetry on (ids, log and metric lines, DynamoDB meter) vs off (no-ops): load + first request, medians of 21",
    value: `${fmt(median(on.firstResponseMs))} ms, ${kb(on.coldBytes)}`,
    compared: `off ${fmt(median(off.firstResponseMs))} ms, ${kb(off.coldBytes)}`,
    ratio: `${fmt(ratio, 3)}x, +${kb(grew)}`,
    target: "<= 1.03x, <= +5 KB",
    ok: ratio <= 1.03 && grew <= 5 * 1024,
  };
}

/** The example's stream consumer (the kit's createStreamHandler) against Powertools' batch + idempotency and a bare loop. */
async function streamConsumerRows(endpoint: string, tableName: string) {
  log(`3/${STEPS} cold start of a stream consumer: three bundles, each loaded and handling a first batch of 10 records 11 times, round-robin`);
  const measured = await measureStreamConsumers({ endpoint, tableName, runs: 11 });
  const [kit, powertools, bare] = (["kit", "powertools", "bare"] as const).map((v) => measured.find((m) => m.variant === v)!);
  const batch = (r: typeof kit) => median(r!.firstBatchMs);
  const perRound = (a: typeof kit, b: typeof kit) => median(a!.firstBatchMs.map((ms, i) => ms / b!.firstBatchMs[i]!));
  rows.push(
    {
      row: "",
      measure: "stream consumer (src/handlers): load + a first batch of 10, one transaction per record with its marker",
      value: `${fmt(batch(kit))} ms; load alone ${fmt(median(kit!.loadMs))} ms; ${kb(kit!.coldBytes)}`,
      compared: `bare loop, an UpdateItem per record, ${fmt(batch(bare))} ms; ${kb(bare!.coldBytes)}`,
      ratio: `${fmt(perRound(kit, bare), 2)}x`,
      target: "",
      ok: null,
    },
    {
      row: "",
      measure: "the same count through Powertools batch + idempotency (same table)",
      value: `${fmt(batch(powertools))} ms; load alone ${fmt(median(powertools!.loadMs))} ms; ${kb(powertools!.coldBytes)}`,
      compared: "the kit's consumer",
      ratio: `${fmt(perRound(powertools, kit), 2)}x time, ${fmt(powertools!.coldBytes / kit!.coldBytes, 2)}x size`,
      target: "",
      ok: null,
    },
  );
  results.streamConsumers = measured.map((m) => ({ ...m, loadMedianMs: median(m.loadMs), firstBatchMedianMs: median(m.firstBatchMs) }));
}

async function connectRow(endpoint: string) {
  log(`1/${STEPS} connect(): cold with nothing pending, warm, and the DescribeTable + Query it no longer sends`);
  const admin = createClient({ region: LOCAL_REGION, endpoint });
  const none: Migration[] = [];
  const cold: number[] = [];
  const describeAndQuery: number[] = [];
  let coldRequests = 0;
  let warmNs = 0;
  let warmRequests = 0;
  for (let i = 0; i < 15; i++) {
    const tableName = `bench-connect-${i}`;
    await ensureTable({ client: admin, tableName });
    const client = createClient({ region: LOCAL_REGION, endpoint });
    const counter = countRequests(client);
    // The checks as a DescribeTable beside the migrations Query, in parallel, on a fresh client of their own.
    const seqClient = createClient({ region: LOCAL_REGION, endpoint });
    const t0 = performance.now();
    await Promise.all([
      describeTable(seqClient, tableName),
      dynamoMigrationStorage({ documentClient: createDocumentClient(seqClient), tableName }).executed({ context: undefined }),
    ]);
    describeAndQuery.push(performance.now() - t0);
    seqClient.destroy();

    const t1 = performance.now();
    await connect({ tableName, client, migrations: none, onPending: "fail", log: () => {} });
    cold.push(performance.now() - t1);
    coldRequests = counter.count();

    if (i === 0) {
      counter.reset();
      const calls = 1_000_000;
      const t2 = process.hrtime.bigint();
      for (let j = 0; j < calls; j++) await connect({ tableName, client, migrations: none, onPending: "fail" });
      warmNs = Number(process.hrtime.bigint() - t2) / calls;
      warmRequests = counter.count();
    }
    client.destroy();
  }
  admin.destroy();
  const umzugLoaded = Object.keys(require.cache).some((p) => p.includes("/node_modules/umzug/"));
  const umzugLoad = median(
    Array.from({ length: 5 }, () => {
      const run = spawnSync(
        process.execPath,
        ["-e", "const t=process.hrtime.bigint();require('umzug');process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))"],
        { encoding: "utf8" },
      );
      return Number(run.stdout);
    }),
  );
  rows.push(
    {
      row: "1 connect()",
      measure: "cold, nothing pending (median of 15)",
      value: `${fmt(median(cold))} ms, ${coldRequests} request(s)`,
      compared: `DescribeTable + Query ${fmt(median(describeAndQuery))} ms; umzug load alone ${fmt(umzugLoad)} ms`,
      ratio: `${fmt(median(cold) / median(describeAndQuery), 2)}x`,
      target: "1 request, no umzug",
      ok: coldRequests === 1 && !umzugLoaded,
    },
    {
      row: "",
      measure: "warm (1,000,000 calls)",
      value: `${fmt(warmNs, 0)} ns/op, ${warmRequests} requests`,
      compared: "",
      ratio: "",
      target: "0 requests",
      ok: warmRequests === 0,
    },
  );
  results.connect = {
    coldMs: cold,
    describeAndQueryMs: describeAndQuery,
    umzugLoadMs: umzugLoad,
    coldRequests,
    warmNsPerOp: warmNs,
    warmRequests,
    umzugLoaded,
  };
}

async function migrationsRow(endpoint: string) {
  log(`2/${STEPS} migrations at scale: applying 10, 100 and 1,000 no-op migrations, then status over 1,000`);
  const { migrator } = await import("@dynamodb-starter/kit/ops");
  const client = createClient({ region: LOCAL_REGION, endpoint });
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
    { row: "2 migrations", measure: "apply 100 no-op migrations", value: `${fmt(applied100 / 1000, 2)} s`, compared: "", ratio: "", target: "", ok: null },
    {
      row: "",
      measure: "per migration at 10 / 100 / 1,000",
      value: `${fmt(perMigration[10]!)} / ${fmt(perMigration[100]!)} / ${fmt(perMigration[1000]!)} ms`,
      compared: "at 10",
      ratio: `${fmt(linear, 2)}x at 1,000`,
      target: "linear (<= 2x)",
      ok: linear <= 2,
    },
    {
      row: "",
      measure: "status with 1,000 executed (median of 5)",
      value: `${fmt(median(statusTimes))} ms, ${pages} page(s)`,
      compared: "",
      ratio: "",
      target: "",
      ok: null,
    },
  );
  results.migrations = { perMigrationMs: perMigration, apply100Ms: applied100, status1000Ms: statusTimes, status1000Pages: pages };
}

/** The backfill a template without conditional writes would run: scan segments, put whole items back with BatchWriteItem. */
async function unconditionalBackfill(documentClient: DynamoDBDocumentClient, tableName: string, segments: number) {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: segments }, async (_, Segment) => {
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await documentClient.send(new ScanCommand({ TableName: tableName, Segment, TotalSegments: segments, ExclusiveStartKey }));
        await batchWriteAll(
          { documentClient, tableName },
          (page.Items ?? []).map((item) => ({ PutRequest: { Item: { ...item, migrated: 1 } } })),
        );
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }),
  );
  return performance.now() - started;
}

async function backfillRow(endpoint: string) {
  const items = 8_000;
  const segments = 4;
  log(`4/${STEPS} backfill: ${items} items, ${segments} segments: conditional UpdateItem per item against whole-item BatchWriteItem`);
  const client = createClient({ region: LOCAL_REGION, endpoint });
  const documentClient = createDocumentClient(client);
  const source = Array.from({ length: items }, (_, i) => ({ pk: `ITEM#${i}`, sk: "A", n: i }));
  const fresh = async (tableName: string) => {
    await ensureTable({ client, tableName });
    await batchWriteAll(
      { documentClient, tableName },
      source.map((Item) => ({ PutRequest: { Item } })),
    );
    return tableName;
  };

  const batchMs = await unconditionalBackfill(documentClient, await fresh("bench-backfill-batch"), segments);
  const batch = items / (batchMs / 1000);
  rows.push({
    row: "4 backfill",
    measure: `BatchWriteItem of whole items (loses concurrent writes)`,
    value: `${fmt(batch, 0)} items/s`,
    compared: "",
    ratio: "",
    target: "",
    ok: null,
  });
  const conditional: Record<number, { itemsPerSecond: number; writeUnitsPerItem: number }> = {};
  for (const writesInFlight of [4, 8, 16]) {
    const tableName = await fresh(`bench-backfill-conditional-${writesInFlight}`);
    const result = await backfill({ documentClient, tableName, segments, writesInFlight, transform: (item) => ({ ...item, migrated: 1 }) });
    const rate = result.written / (result.ms / 1000);
    const perItem = result.writeUnits / result.written;
    conditional[writesInFlight] = { itemsPerSecond: rate, writeUnitsPerItem: perItem };
    rows.push({
      row: "",
      measure: `conditional UpdateItem, ${segments * writesInFlight} requests in flight${writesInFlight === 8 ? " (default)" : ""}`,
      value: `${fmt(rate, 0)} items/s, ${fmt(perItem, 2)} WCU/item`,
      compared: `BatchWriteItem ${fmt(batch, 0)} items/s`,
      ratio: `${fmt(rate / batch, 2)}x`,
      target: "1.0 WCU/item",
      ok: result.written === items && perItem <= 1.0,
    });
  }
  results.backfill = { items, segments, batchItemsPerSecond: batch, conditional };

  // Checkpointed, as inside a migration: uninterrupted, then interrupted at 50% and resumed, on tables of their own.
  const checkpointed = async (name: string, failAt?: number) => {
    const table = await fresh(`bench-resume-${name}`);
    const { migrator } = await import("@dynamodb-starter/kit/ops");
    let seen = 0;
    let again = 0;
    const migration: Migration = {
      name: "0001-bench-backfill",
      backfill: {
        segments,
        pageSize: 250,
        transform: (item) => {
          if (failAt !== undefined && ++seen === failAt) throw new Error("interrupted");
          if (item.migrated === 1) again++;
          return { ...item, migrated: 1 };
        },
      },
      async down() {},
    };
    const run = () => migrator({ client, documentClient, tableName: table, migrations: [migration] }).up();
    const t0 = performance.now();
    if (failAt !== undefined) await run().catch(() => {});
    failAt = undefined;
    await run();
    return { ms: performance.now() - t0, again };
  };
  const whole = await checkpointed("whole");
  const resumed = await checkpointed("resumed", items / 2);
  rows.push(
    {
      row: "",
      measure: `a migration's declared backfill (checkpoints every 250 items)`,
      value: `${fmt(items / (whole.ms / 1000), 0)} items/s`,
      compared: `backfill() without checkpoints ${fmt(conditional[8]!.itemsPerSecond, 0)} items/s`,
      ratio: `${fmt(items / (whole.ms / 1000) / conditional[8]!.itemsPerSecond, 2)}x`,
      target: "",
      ok: null,
    },
    {
      row: "",
      measure: "interrupted at 50%, then resumed",
      value: `${fmt(resumed.ms / 1000, 2)} s in all, ${resumed.again} items redone`,
      compared: `uninterrupted ${fmt(whole.ms / 1000, 2)} s`,
      ratio: `${fmt(resumed.ms / whole.ms, 2)}x`,
      target: "<= 1 page (250) per segment redone",
      ok: resumed.again <= segments * 250,
    },
  );
  results.backfillResume = { wholeMs: whole.ms, resumedMs: resumed.ms, redone: resumed.again };
  client.destroy();
}

/** The bench's own worker: the kit's backfill worker over one migration that marks every item. */
const BENCH_MIGRATION = "0001-bench-backfill";
async function benchWorker(p: Project) {
  const entry = join(p.distDir, "entries", "benchBackfillWorker.ts");
  mkdirSync(dirname(entry), { recursive: true });
  writeFileSync(
    entry,
    `// Written by make bench: the kit's backfill worker over the bench's one migration.\nimport { createBackfillWorker } from "@dynamodb-starter/kit/ops";\n\n` +
      `export const handler = createBackfillWorker({ migrations: [{ name: "${BENCH_MIGRATION}", backfill: { transform: (item) => ({ ...item, migrated: 1 }) }, async down() {} }] });\n`,
  );
  return buildEntry(entry, join(p.distDir, "bench"), "benchBackfillWorker", { zip: false });
}

async function distributedBackfillRow(endpoint: string, p: Project) {
  const items = 8_000;
  const segments = 16;
  log(
    `4/${STEPS} backfill on the state machine: ${items} items, ${segments} segments, 1, 4 and 16 workers at once (aws-local-stepfunctions, a process per worker)`,
  );
  const client = createClient({ region: LOCAL_REGION, endpoint });
  const documentClient = createDocumentClient(client);
  const worker = await benchWorker(p);
  const env = { TABLE_NAME: "", DYNAMODB_ENDPOINT: endpoint, AWS_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };
  const { migrator, migrationLock } = await import("@dynamodb-starter/kit/ops");
  const { localBackfillMachine } = await import("../local/localBackfillMachine");
  const { backfillEngine } = await import("../pipeline/backfillEngine");
  const migration: Migration = {
    name: BENCH_MIGRATION,
    backfill: { engine: "distributed", segments, transform: (item) => ({ ...item, migrated: 1 }) },
    async down() {},
  };
  const source = Array.from({ length: items }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A", n: i } } }));

  const measured: Record<number, { itemsPerSecond: number; writeUnitsPerItem: number }> = {};
  for (const workers of [1, 4, 16]) {
    const tableName = `bench-distributed-${workers}`;
    await ensureTable({ client, tableName });
    await batchWriteAll({ documentClient, tableName }, source);
    let writeUnits = 0;
    let written = 0;
    const machine = localBackfillMachine({
      workerFile: worker.entry,
      env: { ...env, TABLE_NAME: tableName },
      onResult: (r) => ((writeUnits += (r as { writeUnits: number }).writeUnits), (written += (r as { written: number }).written)),
    });
    const atOnce = {
      ...machine,
      start: (input: Parameters<typeof machine.start>[0], l: (line: string) => void) => machine.start({ ...input, concurrency: workers }, l),
    };
    const engine = backfillEngine({ client, documentClient, tableName, distributedAboveItems: 0, machine: atOnce, log: () => {} });
    const t0 = performance.now();
    await migrator({ client, documentClient, tableName, migrations: [migration], backfillEngine: engine }).up();
    const rate = items / ((performance.now() - t0) / 1000);
    measured[workers] = { itemsPerSecond: rate, writeUnitsPerItem: writeUnits / written };
    rows.push({
      row: "",
      measure: `on the state machine, ${workers} worker${workers === 1 ? "" : "s"} at once (${segments} segments; worker starts and lock included)`,
      value: `${fmt(rate, 0)} items/s, ${fmt(writeUnits / written, 2)} WCU/item`,
      compared: `in process ${fmt((results.backfill as { conditional: Record<number, { itemsPerSecond: number }> }).conditional[8]!.itemsPerSecond, 0)} items/s`,
      ratio: `${fmt(rate / (results.backfill as { conditional: Record<number, { itemsPerSecond: number }> }).conditional[8]!.itemsPerSecond, 2)}x`,
      target: "every item, 1.0 WCU/item",
      ok: written === items && writeUnits / written <= 1.0,
    });
  }

  // The worker's cold start: a fresh process loads it and runs a first call (one small segment of its own each time).
  const tableName = "bench-worker-cold-start";
  await ensureTable({ client, tableName });
  const lock = migrationLock({ documentClient, tableName });
  await lock.acquire();
  const runs = 11;
  const coldMs: number[] = [];
  const { BuiltFunction } = await import("../local/builtFunction");
  for (let segment = 0; segment < runs; segment++) {
    const t0 = performance.now();
    const fn = new BuiltFunction(worker.entry, { ...env, TABLE_NAME: tableName });
    const outcome = await fn.invoke({ migration: BENCH_MIGRATION, segment, totalSegments: runs, lockOwner: lock.owner }, 60_000);
    coldMs.push(performance.now() - t0);
    fn.stop();
    if (!("result" in outcome)) throw new Error(`the bench's backfill worker failed: ${JSON.stringify(outcome)}`);
  }
  await lock.release();
  const api = (results.coldStart as { variant: string; coldBytes: number }[] | undefined)?.find((m) => m.variant === "api")?.coldBytes;
  rows.push({
    row: "",
    measure: `the backfill worker's cold start: process start, load and a first call, medians of ${runs}`,
    value: `${fmt(median(coldMs))} ms; bundle ${kb(worker.coldBytes)}`,
    compared: api ? `the API's bundle ${kb(api)}, which holds none of it` : "",
    ratio: "",
    target: "",
    ok: null,
  });
  results.distributedBackfill = { items, segments, byWorkers: measured, workerColdStartMs: coldMs, workerColdBytes: worker.coldBytes };
  client.destroy();
}

async function httpRow() {
  log(`5/${STEPS} HTTP path: an isolated local deployment, the app's reads and its creates, 10 connections for 5 s each (the load test's runner)`);
  // Loaded here, not at the top: the local deployment's pre-step imports umzug, which row 1 checks connect() never loads.
  const { loadRun, withLoadStack } = await import("./load");
  const { routeUsage } = await import("./cost");
  const { jsonLines } = await import("../local/logLines");
  await withLoadStack(async (stack) => {
    const from = statSync(stack.apiLog).size;
    const reads = await loadRun(stack, { connections: 10, duration: 5, shape: "reads" });
    const creates = await loadRun(stack, { connections: 10, duration: 5, shape: "creates" });
    // What each route consumed, from the request lines the built API wrote: the same lines, and the same sums, make cost prices.
    const units = routeUsage(jsonLines(stack.apiLog, from));
    for (const [name, { stats }] of [
      ["the app's reads", reads],
      ["the app's creates", creates],
    ] as const) {
      rows.push({
        row: name === "the app's reads" ? "5 HTTP" : "",
        measure: name,
        value: `${fmt(stats.requestsPerSecond, 0)} req/s`,
        compared: `p50 ${stats.latencyMs.p50} ms, p99 ${stats.latencyMs.p99} ms`,
        ratio: "",
        target: "every status as expected",
        ok: stats.unexpected === 0,
      });
      results[`http ${name}`] = stats;
    }
    rows.push({
      row: "",
      measure: "DynamoDB units per request, by route (read / write; make cost prices these)",
      value: Object.entries(units)
        .map(([route, u]) => `${route} ${u.readUnitsPerRequest} / ${u.writeUnitsPerRequest}`)
        .join("; "),
      compared: "",
      ratio: "",
      target: "",
      ok: null,
    });
    results["http units by route"] = units;
  });
}

/** The rows as the markdown table that `make bench` prints and docs/performance.md shows. */
export function benchTable(rows: readonly Row[]): string {
  const cells = (r: Row) => [r.row, r.measure, r.value, r.compared, r.ratio, r.target, r.ok === null ? "" : r.ok ? "holds" : "MISSED"];
  return textTable([["row", "measure", "value", "compared with", "ratio", "target", "result"], ...rows.map(cells)], { markdown: true });
}

/** The template's last recorded run: the one source of every number docs/performance.md shows. */
export const RECORDED_RUN = join(CLI_ROOT, "docs", "performance.json");
export const PERFORMANCE_DOC = join(CLI_ROOT, "docs", "performance.md");
const TABLE = /(<!-- bench:table -->\n)[\s\S]*?(<!-- \/bench:table -->)/;

/** Writes a run as the template's recorded one, and its table into docs/performance.md. */
export function recordRun(run: { measuredAt: string; node: string; rows: readonly Row[] }): void {
  writeFileSync(RECORDED_RUN, `${JSON.stringify({ measuredAt: run.measuredAt, node: run.node, rows: run.rows }, null, 2)}\n`);
  const doc = readFileSync(PERFORMANCE_DOC, "utf8");
  if (!TABLE.test(doc)) throw new Error(`${PERFORMANCE_DOC} has no <!-- bench:table --> ... <!-- /bench:table --> to write the table into`);
  writeFileSync(
    PERFORMANCE_DOC,
    doc.replace(TABLE, (_, open: string, close: string) => `${open}${benchTable(run.rows)}\n${close}`),
  );
}

/** `make bench`: prints the table and writes bench/results.json; `--record` (the template's releases) also docs/performance.json and .md. */
export async function main(argv: string[], p: Project = project()): Promise<void> {
  const started = Date.now();
  const dynamo = await startLocalDynamo();
  try {
    await connectRow(dynamo.endpoint);
    await migrationsRow(dynamo.endpoint);
    await coldStartRow(dynamo.endpoint);
    await backfillRow(dynamo.endpoint);
    await distributedBackfillRow(dynamo.endpoint, p);
  } finally {
    await dynamo.stop();
  }
  await httpRow();
  const out = benchTable(rows);
  console.log(`\n${out}\n\nmeasured on ${process.platform} ${process.arch}, node ${process.version}, in ${fmt((Date.now() - started) / 1000)} s`);
  const dir = join(p.root, "bench");
  mkdirSync(dir, { recursive: true });
  const run = { measuredAt: new Date().toISOString(), node: process.version, rows, results };
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(run, null, 2)}\n`);
  if (argv.includes("--record")) recordRun(run);
  if (rows.some((r) => r.ok === false)) process.exitCode = 1;
}
