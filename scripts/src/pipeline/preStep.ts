/**
 * The pre-step of every deployment, before any code ships: ensure the table,
 * reconcile its declared settings, apply pending migrations under the lock.
 * Runs with the deployer's credentials; the Lambda never needs these rights.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import {
  ensureTable,
  migrator,
  reconcileTable,
  splitAtContract,
  type MigratorOptions,
  type SettingReport,
  type TableSettings,
} from "@dynamodb-starter/kit/ops";
import { needsStream, type FunctionSpec } from "../functions";

export interface PreStepOptions {
  client: DynamoDBClient;
  tableName: string;
  settings: TableSettings;
  log: (line: string) => void;
  /** The app's migration index. */
  migrations: readonly Migration[];
  /** The service's functions: a stream consumer among them declares the table's stream. */
  functions: readonly FunctionSpec[];
  /** Apply migrations up to this one only (all pending by default). */
  to?: string;
  /**
   * A deploy's pre-step: apply the expands only, up to the first pending contract, and leave that contract and what
   * follows it for after the new code has taken all traffic (PreStepResult.deferred).
   */
  contractsAfterShift?: boolean;
  /** Where declared backfills run (backfillEngine.ts): in this process by default. */
  backfillEngine?: MigratorOptions["backfillEngine"];
}

/**
 * The deployment's table settings, and the stream when a function reads it. When none does, the stream is left as it
 * is: turning it off would drop what it holds, so that is a decision to make by hand.
 */
export function declaredSettings(settings: TableSettings, functions: readonly FunctionSpec[]): TableSettings {
  return needsStream(functions) ? { ...settings, stream: "NEW_AND_OLD_IMAGES" } : settings;
}

export interface PreStepResult {
  created: boolean;
  settings: SettingReport[];
  applied: string[];
  /** Pending migrations left for after the shift: a contract and everything after it. */
  deferred: string[];
}

export async function runPreStep(options: PreStepOptions): Promise<PreStepResult> {
  const { client, tableName, log, migrations } = options;
  const settings = declaredSettings(options.settings, options.functions);
  const indent = (line: string) => log(`  ${line}`);
  log(`table "${tableName}"`);
  const { created } = await ensureTable({ client, tableName, ...(settings.tags ? { tags: settings.tags } : {}), log: indent });
  if (!created) indent("exists with the expected key schema");

  log("table settings");
  const reports = await reconcileTable({ client, tableName, settings, apply: true, log: indent });
  if (reports.some((r) => r.denied)) indent("make bootstrap, run by an administrator, turns on what a protected table declares and this deploy may not");

  log("migrations");
  const m = migrator({
    client,
    documentClient: createDocumentClient(client),
    tableName,
    migrations,
    log: indent,
    ...(options.backfillEngine ? { backfillEngine: options.backfillEngine } : {}),
  });
  const { before, after: deferred } = options.contractsAfterShift ? splitAtContract(migrations, (await m.status()).pending) : { before: [], after: [] };
  const to = options.contractsAfterShift ? before.at(-1) : options.to;
  const applied = options.contractsAfterShift && before.length === 0 ? [] : await m.up(to ? { to } : {});
  indent(applied.length ? `applied ${applied.length}: ${applied.join(", ")}` : "nothing pending");
  if (deferred.length)
    indent(`after the new code takes all traffic: ${deferred.join(", ")} (${deferred[0]} is a contract: the previous release reads what it changes)`);
  return { created, settings: reports, applied, deferred };
}
