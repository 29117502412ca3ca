/**
 * Reading the partition reserved for migration bookkeeping (records, the
 * lock, backfill checkpoints): every item under a sort-key prefix, strongly
 * consistent, every page read. A failed read throws; it never looks like
 * "nothing there".
 */
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MIGRATIONS_PARTITION, PARTITION_KEY, SORT_KEY } from "../table/keySchema";

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
