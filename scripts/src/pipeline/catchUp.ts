/**
 * The deploy's last step. A declared backfill rewrites the table while the
 * previous code still serves, and that code keeps writing items in the old
 * shape until the new code takes over. Once the new code is live and the
 * previous code's last invocations have ended, each backfill applied in this
 * deploy runs once more: its filter finds exactly those stragglers.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { migrator, type CatchUpResult, type Migrator } from "@dynamodb-starter/kit/ops";

export interface CatchUpOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The migrations the pre-step applied in this deploy; those that declare a backfill are caught up. */
  applied: readonly string[];
  log: (line: string) => void;
  migrations: readonly Migration[];
}

/** One line per caught-up backfill. */
export function catchUpLine({ migration, scanned, written, gone, ms }: CatchUpResult): string {
  const left = gone ? `, ${gone} changed out of reach meanwhile` : "";
  return `catch-up of ${migration}: scanned ${scanned}, rewrote ${written} item(s) the previous code wrote${left} (${(ms / 1000).toFixed(1)} s)`;
}

/** Runs the catch-up pass of the backfills named in `only` (every executed one when undefined); logs a line each. */
export async function catchUp(m: Migrator, log: (line: string) => void, only?: readonly string[]): Promise<void> {
  const results = await m.catchUp(only ? { only } : {});
  for (const result of results) log(catchUpLine(result));
  if (results.length === 0) log("no executed migration declares a backfill: nothing to catch up");
}

/** The backfills among `applied`: what a catch-up pass runs again. */
export const backfilledAmong = (applied: readonly string[], migrations: readonly Migration[]) =>
  applied.filter((name) => migrations.some((m) => m.name === name && m.backfill));

/** Once the previous code has stopped: catches up this deploy's backfills. */
export async function runCatchUp({ client, tableName, applied, log, migrations }: CatchUpOptions): Promise<void> {
  const backfilled = backfilledAmong(applied, migrations);
  if (backfilled.length === 0) return;
  log(`catch-up of ${backfilled.join(", ")}`);
  const m = migrator({ client, documentClient: createDocumentClient(client), tableName, migrations, log: (line) => log(`  ${line}`) });
  await catchUp(m, (line) => log(`  ${line}`), backfilled);
}
