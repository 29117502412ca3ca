/**
 * Migration CLI, run by `make migrate*` with the deployer's credentials:
 *
 *   migrate status                 what is executed, pending, unknown; who holds the lock
 *   migrate up [--to NAME]         ensure the table (and, for a deployment, reconcile its declared
 *              [--workers N]       settings as the deploy pre-step does), then apply pending migrations;
 *                                  with --workers, N forked worker processes share declared backfills
 *   migrate work [--parallel N]    join the backfills of a run in progress, from this or any other machine
 *                                  with the same build; returns when no backfill is left
 *   migrate down --to NAME         revert NAME and every migration after it, newest first
 *   migrate unlock                 delete the lock item (only when its holder is known to be dead)
 *
 * --dry-run prints what up/down would do and changes nothing. The table comes
 * from --deployment NAME (infra/deployments.json, or the built-in local), or
 * from --table/--region/--endpoint, or TABLE_NAME/AWS_REGION/DYNAMODB_ENDPOINT.
 */
import { fork, type ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";
import { contract } from "../src/app/contract";
import {
  ConfigError,
  configWith,
  createClient,
  createDocumentClient,
  describeTable,
  ensureTable,
  reconcileTable,
  type Migration,
  type TableSettings,
} from "../src/lib";
import { migrationLock, readCheckpoints, readJobs } from "../src/lib/tools";
import { runBackfillWorker } from "../src/lib/migrations/backfillWorker";
import { migrator } from "../src/lib/migrations/migrationRunner";
import { runCli } from "./cli";
import { assertCredentials } from "./credentials";
import { deploymentTable } from "./deployments";

const USAGE =
  "usage: migrate <status|up|down|unlock|work> [--to NAME] [--dry-run] [--workers N] [--parallel N] [--deployment NAME | --table NAME [--region REGION] [--endpoint URL]]";

/** A count option (--workers, --parallel, --claim-lease-ms): absent, or exactly a whole number in range; anything else is refused. */
export function countOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN; // digits only: Number() would also take " 8", "0x8", "8e0" and ""
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`--${name} takes a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

export async function main(
  argv: string[],
  log: (line: string) => void = console.log,
  migrations: readonly Migration[] = contract.api.migrations,
  /** What `--workers` forks: this file by default; a test forks its own entry with its own migrations. */
  workerEntry: { path: string; args: string[] } = { path: __filename, args: [] },
): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      table: { type: "string" },
      region: { type: "string" },
      endpoint: { type: "string" },
      deployment: { type: "string" },
      workers: { type: "string" },
      parallel: { type: "string" },
      "claim-lease-ms": { type: "string" },
    },
  });
  const workers = countOption(values.workers, "workers", 0, 64);
  const parallel = countOption(values.parallel, "parallel", 1, 64);
  const claimLeaseMs = countOption(values["claim-lease-ms"], "claim-lease-ms", 1_000, 3_600_000);
  const [command, ...extra] = positionals;
  if (!command || extra.length > 0) throw new ConfigError(USAGE);

  // A deployment brings its declared table settings; a bare --table has none, so `up` leaves its settings alone.
  const { settings, ...config }: ReturnType<typeof configWith> & { settings?: TableSettings } = values.deployment
    ? await deploymentTable(values.deployment)
    : configWith({ tableName: values.table, region: values.region, endpoint: values.endpoint });
  const client = createClient(config);
  const documentClient = createDocumentClient(client);
  const { tableName } = config;
  const where = `table "${tableName}"${config.endpoint ? ` at ${config.endpoint}` : ` in ${config.region}`}`;
  const dryRun = values["dry-run"] ?? false;
  // With forked workers this process only coordinates; if they all exit before the backfill is done, it stops too.
  const forked = new AbortController();
  const m = migrator({
    client,
    documentClient,
    tableName,
    migrations,
    log: (line) => log(`  ${line}`),
    backfill: { ...(workers !== undefined ? { parallel: 0 } : {}), ...(claimLeaseMs ? { claimLeaseMs } : {}) },
    signal: forked.signal,
  });

  try {
    if (!config.endpoint) await assertCredentials(client, config.region);
    switch (command) {
      case "status": {
        const [status, holder, checkpoints, jobs] = await Promise.all([
          m.status(),
          migrationLock({ documentClient, tableName }).holder(),
          readCheckpoints(documentClient, tableName),
          readJobs(documentClient, tableName),
        ]);
        log(`migrations of ${where}:`);
        for (const name of status.executed) log(`  executed  ${name}`);
        for (const name of status.pending) log(`  pending   ${name}`);
        for (const name of status.unknown) log(`  unknown   ${name}  (recorded by newer code; not in this index)`);
        for (const job of jobs) {
          log(`backfill of ${job.migration} published for workers by ${job.publishedBy} (${job.totalSegments} segments): "make migrate-worker" joins it`);
        }
        for (const name of new Set(checkpoints.map((c) => c.migration))) {
          const mine = checkpoints.filter((c) => c.migration === name);
          const sum = (field: "scanned" | "written") => mine.reduce((n, c) => n + c[field], 0);
          log(
            `backfill of ${name} unfinished: ${mine.filter((c) => c.done).length}/${mine[0]!.totalSegments} segments done, scanned ${sum("scanned")}, written ${sum("written")}; "make migrate" resumes it`,
          );
          for (const c of mine)
            log(
              `  segment ${c.segment}: ${c.done ? "done" : "in progress"}, scanned ${c.scanned}, written ${c.written} (${c.owner}, ${c.updatedAt} its clock)`,
            );
        }
        if (!holder) log("lock: free");
        else {
          // Times are the holder's own clock: shown, never compared with ours.
          log(
            `lock: held by ${holder.owner} since ${holder.acquiredAt}, last heartbeat ${holder.heartbeatAt} (its clock), lease ${Math.round(holder.leaseMs / 1000)} s`,
          );
          log(`  a run that finds its version unchanged for a whole lease takes it over; if the holder is dead, "make migrate-unlock" frees it now`);
        }
        return;
      }
      case "up": {
        if (dryRun) {
          if (!(await describeTable(client, tableName))) {
            return log(`would create ${where} and apply: ${migrations.map((x) => x.name).join(", ")}`);
          }
          const wanted = await m.up({ dryRun, ...(values.to ? { to: values.to } : {}) });
          log(wanted.length ? `would apply to ${where}: ${wanted.join(", ")}` : `nothing pending on ${where}`);
          return;
        }
        await ensureTable({ client, tableName, ...(settings?.tags ? { tags: settings.tags } : {}), log: (line) => log(`  ${line}`) });
        if (settings) await reconcileTable({ client, tableName, settings, apply: true, log: (line) => log(`  ${line}`) });
        const shared = {
          deployment: values.deployment,
          table: values.table,
          region: values.region,
          endpoint: values.endpoint,
          "claim-lease-ms": values["claim-lease-ms"],
        };
        const flags = Object.entries(shared).flatMap(([name, value]) => (value === undefined ? [] : [`--${name}`, value]));
        const children = workers ? forkWorkers(workers, workerEntry, flags, log, forked) : [];
        try {
          const applied = await m.up(values.to ? { to: values.to } : {});
          log(applied.length ? `applied ${applied.length} migration(s) to ${where}` : `nothing pending on ${where}`);
        } finally {
          // Every backfill the run needed is recorded (or the run failed): workers still waiting for more have nothing to do.
          await Promise.all(children.map(stopChild));
        }
        return;
      }
      case "work": {
        const helped = await runBackfillWorker({
          client,
          documentClient,
          tableName,
          migrations,
          log: (line) => log(`  ${line}`),
          ...(parallel ? { parallel } : {}),
          ...(claimLeaseMs ? { claimLeaseMs } : {}),
        });
        log(`worker done on ${where}: ${helped.length ? `helped with ${helped.join(", ")}` : "no backfill needed help"}`);
        return;
      }
      case "down": {
        if (!values.to) throw new ConfigError(`down needs --to NAME (the oldest migration to revert).\n${USAGE}`);
        const reverted = await m.down({ to: values.to, dryRun });
        log(`${dryRun ? "would revert" : "reverted"} on ${where}: ${reverted.join(", ") || "nothing"}`);
        return;
      }
      case "unlock": {
        const lock = migrationLock({ documentClient, tableName });
        const holder = await lock.holder();
        if (!holder) return log(`lock on ${where} is free; nothing to do`);
        if (dryRun) return log(`would release the lock held by ${holder.owner}`);
        await lock.forceRelease();
        log(`released the lock held by ${holder.owner} (its migration, if any, was not recorded and will run again)`);
        return;
      }
      default:
        throw new ConfigError(`unknown command "${command}".\n${USAGE}`);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Forks `n` worker processes running this same file (and build) with the
 * same table flags. Their lines are prefixed with their number. When every
 * one of them has failed, `stop` is aborted: a coordinator that works on no
 * segment itself would otherwise wait forever.
 */
function forkWorkers(n: number, entry: { path: string; args: string[] }, flags: string[], log: (line: string) => void, stop: AbortController): ChildProcess[] {
  let running = n;
  let finished = false; // a worker that exits 0 saw every backfill done: the coordinator can finish alone
  return Array.from({ length: n }, (_, i) => {
    const child = fork(entry.path, [...entry.args, "work", ...flags], { stdio: ["ignore", "pipe", "pipe", "ipc"] });
    const prefix = (chunk: Buffer) => {
      for (const line of String(chunk).split("\n")) if (line.trim()) log(`  [worker ${i + 1}] ${line.trim()}`);
    };
    child.stdout!.on("data", prefix);
    child.stderr!.on("data", prefix);
    child.on("exit", (code, signal) => {
      if (stopped.has(child)) return; // stopped by us once the run was over
      if (code !== 0) log(`  [worker ${i + 1}] exited with ${signal ?? `code ${code}`}`);
      finished ||= code === 0;
      if (--running === 0 && !finished) {
        stop.abort(
          new ConfigError(`all ${n} backfill workers exited before the backfill was done; nothing is lost: "make migrate" resumes from its checkpoints`),
        );
      }
    });
    return child;
  });
}

const stopped = new WeakSet<ChildProcess>();

/** Stops `child` if it still runs; resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  stopped.add(child);
  child.kill("SIGTERM");
  return gone;
}

runCli(module, "migrate", () => main(process.argv.slice(2)));
