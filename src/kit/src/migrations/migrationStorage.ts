/**
 * umzug storage kept in the application table itself: one item per executed
 * migration under the reserved partition, so the table carries its own
 * schema version and no second table or file is needed. Given the lock's
 * fence, recording and un-recording are transactions that succeed only
 * while the lock is still ours: a holder that lost its lease records nothing.
 */
import { DeleteCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { UmzugStorage } from "umzug";
import { cancellationReasons, MigrationAlreadyRecordedError, MigrationLockLostError, isConditionalCheckFailed } from "../errors";
import { PARTITION_KEY } from "../table/keySchema";
import type { MigrationLock } from "./migrationLock";
import { MIGRATION_SK_PREFIX, partitionKeys, queryMigrationsPartition } from "./migrationsPartition";

export interface MigrationStorageOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Items per Query page (DynamoDB's 1 MB page applies regardless); small values exercise pagination. */
  pageSize?: number;
  /** The lock held while migrating: every record and un-record is then fenced by it. */
  lock?: Pick<MigrationLock, "fenced" | "owner">;
}

export function dynamoMigrationStorage({ documentClient, tableName, pageSize, lock }: MigrationStorageOptions): UmzugStorage {
  const key = partitionKeys.record;

  /**
   * One TransactWriteItems: `item`, the check that the lock is still ours, and the deletion of the migration's
   * backfill checkpoints, which are done with once it is recorded (or reverted). Says which condition failed.
   */
  const fencedWrite = async (name: string, item: Record<string, unknown>) => {
    // Loaded here, not at the top: connect() reads with this storage on every cold start and never writes.
    const { checkpointKey, readCheckpoints } = await import("../data/backfillCheckpoints");
    const checkpoints = (await readCheckpoints(documentClient, tableName, name)).map((c) => ({
      Delete: { TableName: tableName, Key: checkpointKey(c.migration, c.segment) },
    }));
    return lock!.fenced(async (condition) => {
      try {
        await documentClient.send(new TransactWriteCommand({ TransactItems: [item, { ConditionCheck: condition }, ...checkpoints] }));
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons?.[1] === "ConditionalCheckFailed") throw new MigrationLockLostError(tableName, lock!.owner);
        if (reasons?.[0] === "ConditionalCheckFailed") throw new MigrationAlreadyRecordedError(tableName, name);
        throw error;
      }
    });
  };

  return {
    /** Records `name` as executed; refuses to record it twice, which would mean it ran twice. */
    async logMigration({ name }) {
      const record = { ...key(name), name, executedAt: new Date().toISOString() };
      const absent = { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": PARTITION_KEY } };
      if (lock) return fencedWrite(name, { Put: { TableName: tableName, Item: record, ...absent } });
      try {
        await documentClient.send(new PutCommand({ TableName: tableName, Item: record, ...absent }));
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        throw new MigrationAlreadyRecordedError(tableName, name);
      }
    },

    /** Removes the record of `name`, so it counts as pending again. */
    async unlogMigration({ name }) {
      if (lock) return fencedWrite(name, { Delete: { TableName: tableName, Key: key(name) } });
      await documentClient.send(new DeleteCommand({ TableName: tableName, Key: key(name) }));
    },

    /** Names of executed migrations: strongly consistent, every page read; a failed read throws. */
    async executed() {
      const records = await queryMigrationsPartition({ documentClient, tableName }, MIGRATION_SK_PREFIX, { attribute: "name", pageSize });
      return records.map((item) => String(item.name));
    },
  };
}
