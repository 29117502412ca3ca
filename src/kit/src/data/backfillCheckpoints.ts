/**
 * Where each scan segment of a migration's backfill got to, kept in the
 * migrations partition (`sk = "backfill#<migration>#<segment>"`): the
 * segment's LastEvaluatedKey after its last written page, its counts and
 * the process that wrote it. A re-run resumes every segment from there, so
 * an interruption costs at most one page per segment. Under the migration
 * lock a checkpoint is saved only while the lock is ours, and the
 * checkpoints are deleted in the transaction that records the migration.
 */
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { cancellationReasons, ConfigError, MigrationLockLostError } from "../errors";
import type { LockCondition } from "../migrations/migrationLock";
import { CHECKPOINT_SK_PREFIX, checkpointSk, partitionKeys, queryMigrationsPartition } from "../migrations/migrationsPartition";

/** DynamoDB's TransactWriteItems takes 100 items: the checkpoints, the record and the lock check must fit. */
export const MAX_BACKFILL_SEGMENTS = 64;

export interface Checkpoint {
  migration: string;
  segment: number;
  totalSegments: number;
  /** Where the next page starts; absent when the segment is done. */
  lastKey?: Record<string, unknown>;
  done: boolean;
  scanned: number;
  written: number;
  owner: string;
  /** The writer's clock, for display. */
  updatedAt: string;
}

/** Runs a write with the lock's fence (a ConditionCheck on owner and version), or unfenced outside the runner. */
export type Fence = <T>(write: (condition: LockCondition) => Promise<T>) => Promise<T>;

export const checkpointKey = partitionKeys.checkpoint;

/** Every checkpoint in the table, or one migration's, read consistently. */
export async function readCheckpoints(documentClient: DynamoDBDocumentClient, tableName: string, migration?: string): Promise<Checkpoint[]> {
  const found = (await queryMigrationsPartition(
    { documentClient, tableName },
    migration === undefined ? CHECKPOINT_SK_PREFIX : checkpointSk(migration),
  )) as unknown as Checkpoint[];
  return found.sort((a, b) => a.migration.localeCompare(b.migration) || a.segment - b.segment);
}

/**
 * The checkpoints of `migration` as a resume plan for `totalSegments`
 * segments. Checkpoints written with another number of segments cannot be
 * resumed (segments would cover other parts of the table): that is an error,
 * never a silent restart.
 */
export async function resumePlan(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  migration: string,
  totalSegments: number,
): Promise<Map<number, Checkpoint>> {
  const existing = await readCheckpoints(documentClient, tableName, migration);
  const other = existing.find((c) => c.totalSegments !== totalSegments);
  if (other) {
    throw new ConfigError(
      `the backfill of "${migration}" has checkpoints for ${other.totalSegments} segments, but this run asks for ${totalSegments}. ` +
        `Run it with segments: ${other.totalSegments} to resume; nothing was changed.`,
    );
  }
  return new Map(existing.map((c) => [c.segment, c]));
}

/** The Update that saves a segment's progress. */
function checkpointUpdate(tableName: string, checkpoint: Checkpoint) {
  const { lastKey, ...rest } = checkpoint;
  const names: Record<string, string> = { "#lastKey": "lastKey" };
  const values: Record<string, unknown> = {};
  const sets = Object.entries(rest).map(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    return `#f${i} = :v${i}`;
  });
  return {
    TableName: tableName,
    Key: checkpointKey(checkpoint.migration, checkpoint.segment),
    UpdateExpression: lastKey ? `SET ${sets.join(", ")}, #lastKey = :lastKey` : `SET ${sets.join(", ")} REMOVE #lastKey`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: lastKey ? { ...values, ":lastKey": lastKey } : values,
  };
}

/** Saves a segment's progress; with the lock's fence, in one transaction with the check that the lock is still ours. */
export async function saveCheckpoint(
  { documentClient, tableName, fence }: { documentClient: DynamoDBDocumentClient; tableName: string; fence?: Fence | undefined },
  checkpoint: Checkpoint,
): Promise<void> {
  const update = checkpointUpdate(tableName, checkpoint);
  if (!fence) {
    await documentClient.send(new UpdateCommand(update));
    return;
  }
  await fence(async (condition) => {
    try {
      await documentClient.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, { ConditionCheck: condition }] }));
    } catch (error) {
      if (cancellationReasons(error)?.[1] === "ConditionalCheckFailed") throw new MigrationLockLostError(tableName, checkpoint.owner);
      throw error;
    }
  });
}

/** Refuses to migrate while checkpoints exist for a migration the index does not know: it was renamed, or removed. */
export async function assertNoOrphanCheckpoints(documentClient: DynamoDBDocumentClient, tableName: string, known: readonly string[]): Promise<void> {
  const orphans = [...new Set((await readCheckpoints(documentClient, tableName)).map((c) => c.migration))].filter((name) => !known.includes(name));
  if (orphans.length > 0) {
    throw new ConfigError(
      `the table has backfill checkpoints of ${orphans.map((n) => `"${n}"`).join(", ")}, which the migration index does not name: ` +
        `was it renamed? Restore its name to resume it. Nothing was changed.`,
    );
  }
}
