/**
 * The part of `make bootstrap` that runs with the administrator's rights on
 * the tables: for each deployment whose table declares point-in-time recovery
 * or deletion protection, create the table if it does not exist yet and turn
 * them on. A protected table's deploy role may not change its backups at all
 * (scripts/terraform/bootstrap/roles.tf), so this is where they are turned on, once.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureTable, reconcileTable, type SettingReport } from "@dynamodb-starter/kit/ops";
import type { AwsDeployment } from "../deployments";

/** Whether a deployment's deploy role is denied its table's backups: its table declares point-in-time recovery. */
export const isProtected = (d: Pick<AwsDeployment, "table">) => d.table.pointInTimeRecovery === true;

/** Turns on what each deployment declares of point-in-time recovery and deletion protection; returns each report. */
export async function protectTables(
  deployments: readonly AwsDeployment[],
  clientFor: (d: AwsDeployment) => DynamoDBClient,
  log: (line: string) => void,
): Promise<Map<string, SettingReport[]>> {
  const reports = new Map<string, SettingReport[]>();
  for (const d of deployments) {
    const { pointInTimeRecovery, deletionProtection } = d.table;
    if (pointInTimeRecovery !== true && deletionProtection !== true) continue;
    const client = clientFor(d);
    const indent = (line: string) => log(`  ${line}`);
    log(`table "${d.tableName}" of ${d.name}: its protections, with the administrator's rights`);
    const { created } = await ensureTable({ client, tableName: d.tableName, ...(Object.keys(d.tags).length ? { tags: d.tags } : {}), log: indent });
    if (!created) indent("exists with the expected key schema");
    const settings = { ...(pointInTimeRecovery === true ? { pointInTimeRecovery } : {}), ...(deletionProtection === true ? { deletionProtection } : {}) };
    reports.set(d.name, await reconcileTable({ client, tableName: d.tableName, settings, apply: true, log: indent }));
  }
  return reports;
}
