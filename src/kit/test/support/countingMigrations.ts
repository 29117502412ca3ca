/**
 * Migrations whose only effect is to count their own runs in the table, so
 * a test can assert on what DynamoDB holds: every `up` adds 1 to a counter
 * item, every `down` subtracts 1.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type Migration } from "../../src/migrations/migration";

export const RUNS_PARTITION = "_test#runs";

export function countingMigrations(count: number, options: { prefix?: string; workMs?: number } = {}): Migration[] {
  const { prefix = "m", workMs = 0 } = options;
  const bump =
    (name: string, by: number): Migration["down"] =>
    async ({ context: { documentClient, tableName } }) => {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: RUNS_PARTITION, sk: name },
          UpdateExpression: "ADD runs :by",
          ExpressionAttributeValues: { ":by": by },
        }),
      );
      if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
    };
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}${String(i + 1).padStart(4, "0")}`;
    return { name, up: bump(name, 1), down: bump(name, -1) };
  });
}

/** How many times `name` has run up (minus downs), as the table records it. */
export async function runsOf(documentClient: DynamoDBDocumentClient, tableName: string, name: string): Promise<number> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: RUNS_PARTITION, sk: name }, ConsistentRead: true }));
  return Number(Item?.runs ?? 0);
}
