/**
 * Migration CLI, run by `make migrate*` with the deployer's credentials:
 *
 *   migrate status                 what is executed, pending, unknown; who holds the lock
 *   migrate up [--to NAME]         ensure the table (and, for a deployment, reconcile its declared
 *                                  settings as the deploy pre-step does), then apply pending migrations
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
import { contract } from "../src/app/contract";
import { ConfigError, configWith, createClient, createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { describeTable, ensureTable, reconcileTable, type TableSettings } from "@dynamodb-starter/kit/ops";
import { migrationLock, readCheckpoints } from "@dynamodb-starter/kit/ops";
import { migrator } from "@dynamodb-starter/kit/ops";
import { catchUp } from "./catchUp";
import { runCli } from "./cli";
import { assertCredentials } from "./credentials";
import { deploymentTable } from "./deployments";

const USAGE =
  "usage: migrate <status|up|down|unlock|catch-up> [--to NAME] [--only NAME] [--dry-run] [--deployment NAME | --table NAME [--region REGION] [--endpoint URL]]";

export async function main(
  argv: string[],
  log: (line: string) => void = console.log,
  migrations: readonly Migration[] = contract.api.migrations,
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
      only: { type: "string", multiple: true },
    },
  });
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
  const m = migrator({ client, documentClient, tableName, migrations, log: (line) => log(`  ${line}`) });

  try {
    if (!config.endpoint) await assertCredentials(client, config.region);
    switch (command) {
      case "status": {
        const [status, holder, checkpoints] = await Promise.all([
          m.status(),
          migrationLock({ documentClient, tableName }).holder(),
          readCheckpoints(documentClient, tableName),
        ]);
        log(`migrations of ${where}:`);
        for (const name of status.executed) log(`  executed  ${name}`);
        for (const name of status.pending) log(`  pending   ${name}`);
        for (const name of status.unknown) log(`  unknown   ${name}  (recorded by newer code; not in this index)`);
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
        const applied = await m.up(values.to ? { to: values.to } : {});
        log(applied.length ? `applied ${applied.length} migration(s) to ${where}` : `nothing pending on ${where}`);
        const backfilled = applied.filter((name) => migrations.some((x) => x.name === name && x.backfill));
        if (backfilled.length > 0) {
          log(
            `${backfilled.join(", ")} declare(s) a backfill: once the code that writes the new shape is live, its catch-up pass ` +
              `rewrites what the previous code wrote meanwhile. "make deploy" runs it; without a deploy, run "make migrate-catch-up".`,
          );
        }
        return;
      }
      case "catch-up":
        return catchUp(m, log, values.only);
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

runCli(module, "migrate", () => main(process.argv.slice(2)));
