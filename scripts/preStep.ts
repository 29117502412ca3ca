/**
 * The pre-step of every deployment, before any code ships: ensure the table,
 * reconcile its declared settings, apply pending migrations under the lock.
 * Runs with the deployer's credentials; the Lambda never needs these rights.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDocumentClient } from "../src/db/clients";
import { ensureTable } from "../src/db/ensureTable";
import { migrator } from "../src/db/migrationRunner";
import { reconcileTable, type SettingReport, type TableSettings } from "../src/db/reconcileTable";
import { migrations } from "../src/migrations";

export interface PreStepOptions {
  client: DynamoDBClient;
  tableName: string;
  settings: TableSettings;
  log: (line: string) => void;
}

export interface PreStepResult {
  created: boolean;
  settings: SettingReport[];
  applied: string[];
}

export async function runPreStep({ client, tableName, settings, log }: PreStepOptions): Promise<PreStepResult> {
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
