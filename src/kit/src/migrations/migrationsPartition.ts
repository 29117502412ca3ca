/**
 * The partition reserved for migration bookkeeping: the keys of what lives
 * there (records, the lock, backfill checkpoints), built here and nowhere
 * else, and reading it: every item under a sort-key prefix, strongly
 * consistent, every page read. A failed read throws; it never looks like
 * "nothing there".
 */
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MIGRATIONS_PARTITION, PARTITION_KEY, SORT_KEY } from "../table/keySchema";

/** Sort-key prefixes: one item per executed migration, one per backfill segment, and the lock. */
export const MIGRATION_SK_PREFIX = "migration#";
export const CHECKPOINT_SK_PREFIX = "backfill#";
export const LOCK_SK = "lock";

const key = (sk: string) => ({ [PARTITION_KEY]: MIGRATIONS_PARTITION, [SORT_KEY]: sk });

/** The sort-key prefix of one migration's checkpoints, or of one segment's. */
export const checkpointSk = (migration: string, segment?: number) =>
  `${CHECKPOINT_SK_PREFIX}${migration}#${segment === undefined ? "" : String(segment).padStart(3, "0")}`;

/** The keys of the partition's items. */
export const partitionKeys = {
  record: (name: string) => key(`${MIGRATION_SK_PREFIX}${name}`),
  checkpoint: (migration: string, segment: number) => key(checkpointSk(migration, segment)),
  lock: () => key(LOCK_SK),
};

export async function queryMigrationsPartition(
  { documentClient, tableName }: { documentClient: DynamoDBDocumentClient; tableName: string },
  prefix: string,
  { attribute, pageSize }: { attribute?: string; pageSize?: number | undefined } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName,
        ConsistentRead: true,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#sk": SORT_KEY, ...(attribute ? { "#attribute": attribute } : {}) },
        ExpressionAttributeValues: { ":pk": MIGRATIONS_PARTITION, ":prefix": prefix },
        ...(attribute ? { ProjectionExpression: "#attribute" } : {}),
        ExclusiveStartKey,
        ...(pageSize ? { Limit: pageSize } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
