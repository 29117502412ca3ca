/**
 * umzug storage kept in the application table itself: one item per executed
 * migration under the reserved partition, so the table carries its own
 * schema version and no second table or file is needed.
 */
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { UmzugStorage } from "umzug";
import { MigrationAlreadyRecordedError, isConditionalCheckFailed } from "../errors";
import { MIGRATIONS_PARTITION, PARTITION_KEY, SORT_KEY } from "../table/keySchema";

/** Sort key prefix of migration records; the lock item lives beside them under another sort key. */
export const MIGRATION_SK_PREFIX = "migration#";

export interface MigrationStorageOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Items per Query page (DynamoDB's 1 MB page applies regardless); small values exercise pagination. */
  pageSize?: number;
}

export function dynamoMigrationStorage({ documentClient, tableName, pageSize }: MigrationStorageOptions): UmzugStorage {
  const key = (name: string) => ({ [PARTITION_KEY]: MIGRATIONS_PARTITION, [SORT_KEY]: `${MIGRATION_SK_PREFIX}${name}` });

  return {
    /** Records `name` as executed; refuses to record it twice, which would mean it ran twice. */
    async logMigration({ name }) {
      try {
        await documentClient.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...key(name), name, executedAt: new Date().toISOString() },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": PARTITION_KEY },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        throw new MigrationAlreadyRecordedError(tableName, name);
      }
    },

    /** Removes the record of `name`, so it counts as pending again. */
    async unlogMigration({ name }) {
      await documentClient.send(new DeleteCommand({ TableName: tableName, Key: key(name) }));
    },

    /** Names of executed migrations: strongly consistent, every page read; a failed read throws. */
    async executed() {
      const names: string[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await documentClient.send(
          new QueryCommand({
            TableName: tableName,
            ConsistentRead: true,
            KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#sk": SORT_KEY, "#name": "name" },
            ExpressionAttributeValues: { ":pk": MIGRATIONS_PARTITION, ":prefix": MIGRATION_SK_PREFIX },
            ProjectionExpression: "#name",
            ExclusiveStartKey,
            ...(pageSize ? { Limit: pageSize } : {}),
          }),
        );
        for (const item of page.Items ?? []) names.push(String(item.name));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return names;
    },
  };
}
