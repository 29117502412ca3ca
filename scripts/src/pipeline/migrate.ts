/**
 * Migration CLI, run by `make migrate*` with the deployer's credentials:
 *
 *   migrate status                 what is executed, pending, unknown; unfinished backfills and, on AWS, their
 *                                  running executions; who holds the lock
 *   migrate up [--to NAME]         for a deployment, the deploy's own pre-step (table, declared settings,
 *                                  the stream its consumers read, migrations); for a bare --table, the table
 *                                  and its pending migrations
 *   migrate catch-up [--only NAME] run the declared backfills of executed migrations once more, for what
 *                                  the previous code wrote meanwhile (make deploy does it once the new code is live)
 *   migrate down --to NAME         revert NAME and every migration after it, newest first
 *   migrate unlock                 delete the lock item (only when its holder is known to be dead)
 *
 * --dry-run prints what up/down would do and changes nothing. The table comes
 * from --deployment NAME (infra/deployments.json, or the built-in local), or
 * from --table/--region/--endpoint, or TABLE_NAME/AWS_REGION/DYNAMODB_ENDPOINT.
 */
import { parseArgs } from "node:util";
import { ConfigError, configWith, createClient, createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { describeTable, ensureTable, migrationLock, migrator, readCheckpoints, type Migrator, type TableSettings } from "@dynamodb-starter/kit/ops";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { catchUp } from "./catchUp";
import { assertCredentials } from "../aws/credentials";
import { runningBackfillExecutions } from "../aws/backfillMachine";
import { deploymentTable, loadDeployment } from "../deployments";
import { loadFunctions, type FunctionSpec } from "../functions";
import { loadContract, project, type Project } from "../project";
import { runPreStep } from "./preStep";

const USAGE =
  "usage: migrate <status|up|down|unlock|catch-up> [--to NAME] [--only NAME] [--dry-run] [--deployment NAME | --table NAME [--region REGION] [--endpoint URL]]";

const OPTIONS = {
  to: { type: "string" },
  "dry-run": { type: "boolean", default: false },
  table: { type: "string" },
  region: { type: "string" },
  endpoint: { type: "string" },
  deployment: { type: "string" },
  only: { type: "string", multiple: true },
} as const;

/** What every command works with: the table's clients, how to name it, the migrator over the app's index. */
interface Run {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  where: string;
  dryRun: boolean;
  to: string | undefined;
  only: string[] | undefined;
  /** A deployment's declared table settings; a bare --table has none, so `up` leaves its settings alone. */
  settings: TableSettings | undefined;
  /** The service's functions (whose stream consumers declare the table's stream). */
  functions: readonly FunctionSpec[];
  migrations: readonly Migration[];
  m: Migrator;
  /** The backfill executions running on the deployment's state machine (AWS); none elsewhere. */
  executions: () => Promise<{ name: string; since: string; where: string }[]>;
  log: (line: string) => void;
}

const COMMANDS: Record<string, (run: Run) => Promise<void>> = { status, up, "catch-up": (run) => catchUp(run.m, run.log, run.only), down, unlock };

export async function main(
  argv: string[],
  log: (line: string) => void = console.log,
  p: Project = project(),
  migrations: readonly Migration[] = loadContract(p).api.migrations,
): Promise<void> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [command, ...extra] = positionals;
  if (!command || extra.length > 0) throw new ConfigError(USAGE);
  const run = COMMANDS[command];
  if (!run) throw new ConfigError(`unknown command "${command}".\n${USAGE}`);

  const { settings, ...config }: ReturnType<typeof configWith> & { settings?: TableSettings } = values.deployment
    ? await deploymentTable(values.deployment, p)
    : configWith({ tableName: values.table, region: values.region, endpoint: values.endpoint });
  const client = createClient(config);
  const documentClient = createDocumentClient(client);
  const { tableName } = config;
  const m = migrator({ client, documentClient, tableName, migrations, log: (line) => log(`  ${line}`) });
  const where = `table "${tableName}"${config.endpoint ? ` at ${config.endpoint}` : ` in ${config.region}`}`;
  try {
    if (!config.endpoint) await assertCredentials(client, config.region);
    const functions = settings ? loadFunctions(p) : [];
    const d = values.deployment ? loadDeployment(values.deployment, { project: p }) : undefined;
    await run({
      client,
      documentClient,
      tableName,
      where,
      dryRun: values["dry-run"] ?? false,
      to: values.to,
      only: values.only,
      settings,
      functions,
      migrations,
      m,
      executions: async () => (d?.kind === "aws" ? runningBackfillExecutions(d) : []),
      log,
    });
  } finally {
    client.destroy();
  }
}

async function status({ documentClient, tableName, where, m, executions, log }: Run): Promise<void> {
  const [state, holder, checkpoints, running] = await Promise.all([
    m.status(),
    migrationLock({ documentClient, tableName }).holder(),
    readCheckpoints(documentClient, tableName),
    executions(),
  ]);
  log(`migrations of ${where}:`);
  for (const name of state.executed) log(`  executed  ${name}`);
  for (const name of state.pending) log(`  pending   ${name}`);
  for (const name of state.unknown) log(`  unknown   ${name}  (recorded by newer code; not in this index)`);
  for (const name of new Set(checkpoints.map((c) => c.migration))) {
    const mine = checkpoints.filter((c) => c.migration === name);
    const sum = (field: "scanned" | "written") => mine.reduce((n, c) => n + c[field], 0);
    log(
      `backfill of ${name} unfinished: ${mine.filter((c) => c.done).length}/${mine[0]!.totalSegments} segments done, scanned ${sum("scanned")}, written ${sum("written")}; ${holder ? "running under the lock below" : '"make deploy" or "make migrate" resumes it'}`,
    );
    for (const c of mine)
      log(`  segment ${c.segment}: ${c.done ? "done" : "in progress"}, scanned ${c.scanned}, written ${c.written} (${c.owner}, ${c.updatedAt} its clock)`);
  }
  for (const e of running) log(`backfill execution running on the state machine: ${e.name}, since ${e.since}: ${e.where}`);
  if (!holder) return log("lock: free");
  // Times are the holder's own clock: shown, never compared with ours.
  log(
    `lock: held by ${holder.owner} since ${holder.acquiredAt}, last heartbeat ${holder.heartbeatAt} (its clock), lease ${Math.round(holder.leaseMs / 1000)} s`,
  );
  log(`  a run that finds its version unchanged for a whole lease takes it over; if the holder is dead, "make migrate-unlock" frees it now`);
}

async function up({ client, tableName, where, dryRun, to, settings, functions, migrations, m, log }: Run): Promise<void> {
  if (dryRun) {
    if (!(await describeTable(client, tableName))) return log(`would create ${where} and apply: ${migrations.map((x) => x.name).join(", ")}`);
    const wanted = await m.up({ dryRun, ...(to ? { to } : {}) });
    return log(wanted.length ? `would apply to ${where}: ${wanted.join(", ")}` : `nothing pending on ${where}`);
  }
  // A deployment's table gets the deploy's own pre-step (its declared settings, the stream its consumers read);
  // a bare table, named by --table, only its migrations.
  const applied = settings
    ? (await runPreStep({ client, tableName, settings, functions, migrations, log, ...(to ? { to } : {}) })).applied
    : (await ensureTable({ client, tableName, log: (line) => log(`  ${line}`) }), await m.up(to ? { to } : {}));
  log(applied.length ? `applied ${applied.length} migration(s) to ${where}` : `nothing pending on ${where}`);
  const backfilled = applied.filter((name) => migrations.some((x) => x.name === name && x.backfill));
  if (backfilled.length > 0) {
    log(
      `${backfilled.join(", ")} declare(s) a backfill: once the code that writes the new shape is live, its catch-up pass ` +
        `rewrites what the previous code wrote meanwhile. "make deploy" runs it; without a deploy, run "make migrate-catch-up".`,
    );
  }
}

async function down({ where, dryRun, to, m, log }: Run): Promise<void> {
  if (!to) throw new ConfigError(`down needs --to NAME (the oldest migration to revert).\n${USAGE}`);
  const reverted = await m.down({ to, dryRun });
  log(`${dryRun ? "would revert" : "reverted"} on ${where}: ${reverted.join(", ") || "nothing"}`);
}

async function unlock({ documentClient, tableName, where, dryRun, log }: Run): Promise<void> {
  const lock = migrationLock({ documentClient, tableName });
  const holder = await lock.holder();
  if (!holder) return log(`lock on ${where} is free; nothing to do`);
  if (dryRun) return log(`would release the lock held by ${holder.owner}`);
  await lock.forceRelease();
  log(`released the lock held by ${holder.owner} (its migration, if any, was not recorded and will run again)`);
}
