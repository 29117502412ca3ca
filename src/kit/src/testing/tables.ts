/**
 * What every DynamoDB test needs: clients for this run's DynamoDB Local and
 * a table name of its own. (Which requests the code sent: countRequests.)
 */
import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { createClient, createDocumentClient } from "../runtime/clients";
import { isResourceNotFound } from "../errors";
import { LOCAL_REGION } from "../runtime/config";

export function localEndpoint(): string {
  const value = process.env.DYNAMODB_ENDPOINT;
  if (!value) throw new Error("DYNAMODB_ENDPOINT is not set: run the tests through jest with the starter's preset, whose global setup starts DynamoDB Local");
  return value;
}

export function localClients(at: string = localEndpoint()): { client: DynamoDBClient; documentClient: DynamoDBDocumentClient } {
  const client = createClient({ region: LOCAL_REGION, endpoint: at });
  return { client, documentClient: createDocumentClient(client) };
}

/** A table name no other test file or run uses. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!isResourceNotFound(error)) throw error;
  }
}

/** Operations that change data or tables; used to prove that a call "changed nothing". */
export const WRITE_OPERATIONS = new Set([
  "CreateTable",
  "UpdateTable",
  "DeleteTable",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
  "TagResource",
  "UntagResource",
  "UpdateTimeToLive",
]);

/** Every item whose partition key starts with `prefix`, by partition key, read consistently, every page. */
export async function itemsByKey(documentClient: DynamoDBDocumentClient, tableName: string, prefix: string): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ExclusiveStartKey,
        FilterExpression: "begins_with(pk, :prefix)",
        ExpressionAttributeValues: { ":prefix": prefix },
      }),
    );
    for (const item of page.Items ?? []) found.set(String(item.pk), item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return found;
}

/** Every item of the table, read consistently, every page, sorted by key: to prove that a call changed nothing. */
export async function tableSnapshot(documentClient: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
}
