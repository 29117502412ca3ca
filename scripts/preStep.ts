/**
 * The pre-step of every deployment, before any code ships: ensure the table,
 * reconcile its declared settings, apply pending migrations under the lock.
 * Runs with the deployer's credentials; the Lambda never needs these rights.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { contract } from "../src/app/contract";
import { createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { ensureTable, reconcileTable, type SettingReport, type TableSettings } from "@dynamodb-starter/kit/ops";
import { migrator } from "@dynamodb-starter/kit/ops";

export interface PreStepOptions {
  client: DynamoDBClient;
  tableName: string;
  settings: TableSettings;
  log: (line: string) => void;
  /** Defaults to the app's migration index. */
  migrations?: readonly Migration[];
}

export interface PreStepResult {
  created: boolean;
  settings: SettingReport[];
  applied: string[];
}

export async function runPreStep({ client, tableName, settings, log, migrations = contract.api.migrations }: PreStepOptions): Promise<PreStepResult> {
  const indent = (line: string) => log(`  ${line}`);
  log(`table "${tableName}"`);
  const { created } = await ensureTable({ client, tableName, ...(settings.tags ? { tags: settings.tags } : {}), log: indent });
  if (!created) indent("exists with the expected key schema");

  log("table settings");
  const reports = await reconcileTable({ client, tableName, settings, apply: true, log: indent });

  log("migrations");
  const applied = await migrator({ client, documentClient: createDocumentClient(client), tableName, migrations, log: indent }).up();
  indent(applied.length ? `applied ${applied.length}: ${applied.join(", ")}` : "nothing pending");
  return { created, settings: reports, applied };
}
