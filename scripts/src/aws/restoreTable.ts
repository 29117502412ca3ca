/**
 * The restore drill's AWS source (drill/restoreDrill.ts): DynamoDB's point-in-time restore of the deployment's table,
 * at its latest restorable time, into the drill's scratch table. Refused, saying how to turn it on, while the table's
 * point-in-time recovery is off.
 */
import { DescribeContinuousBackupsCommand, RestoreTableToPointInTimeCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RestoreDrillError, type DrillSource } from "../drill/restoreDrill";

/** What the built API needs to reach AWS as this process does: the region and the caller's credentials, nothing else. */
function awsEnvironment(region: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const passed = Object.entries(env).filter(
    ([k]) =>
      /^AWS_(PROFILE|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|CONFIG_FILE|SHARED_CREDENTIALS_FILE|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|ROLE_SESSION_NAME)$/.test(
        k,
      ) || k === "HOME",
  );
  return { ...Object.fromEntries(passed), AWS_REGION: region };
}

export function pointInTimeSource(
  client: DynamoDBClient,
  tableName: string,
  region: string,
  deployment: string,
  env: NodeJS.ProcessEnv = process.env,
): DrillSource {
  return {
    method: "point-in-time restore",
    client,
    tableName,
    env: awsEnvironment(region, env),
    async check() {
      const { ContinuousBackupsDescription: backups } = await client.send(new DescribeContinuousBackupsCommand({ TableName: tableName }));
      const pitr = backups?.PointInTimeRecoveryDescription;
      if (pitr?.PointInTimeRecoveryStatus !== "ENABLED") {
        throw new RestoreDrillError(
          `point-in-time recovery is ${pitr?.PointInTimeRecoveryStatus?.toLowerCase() ?? "off"} for table "${tableName}": there is nothing to restore from. ` +
            `Set "table": { "pointInTimeRecovery": true } for deployment "${deployment}" in infra/deployments.json and run make deploy DEPLOYMENT=${deployment}; ` +
            `restores then reach back to that moment, and up to 35 days. Nothing was changed.`,
        );
      }
      const latest = pitr.LatestRestorableDateTime?.toISOString() ?? "unknown";
      return `its latest restorable time, ${latest}; the earliest is ${pitr.EarliestRestorableDateTime?.toISOString() ?? "unknown"}`;
    },
    async start(scratch) {
      await client.send(
        new RestoreTableToPointInTimeCommand({
          SourceTableName: tableName,
          TargetTableName: scratch,
          UseLatestRestorableTime: true,
          BillingModeOverride: "PAY_PER_REQUEST",
        }),
      );
    },
  };
}
