/**
 * What every DynamoDB test needs: clients for this run's DynamoDB Local, a
 * table name of its own, and a way to see which requests the code sent.
 */
import { DeleteTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { createClient, createDocumentClient } from "../../src/db/clients";
import { isResourceNotFound } from "../../src/db/errors";

export function endpoint(): string {
  const value = process.env.DYNAMODB_ENDPOINT;
  if (!value) throw new Error("DYNAMODB_ENDPOINT is not set: run the tests through jest, whose globalSetup starts DynamoDB Local");
  return value;
}

export function clients(at: string = endpoint()): { client: DynamoDBClient; documentClient: DynamoDBDocumentClient } {
  const client = createClient({ region: "us-east-1", endpoint: at });
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

/** Records the operation name of every request the client sends (retries excluded), from now on. */
export function recordRequests(client: DynamoDBClient): { operations: string[]; stop(): void } {
  const operations: string[] = [];
  const name = `record-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      operations.push(String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "initialize", name },
  );
  return { operations, stop: () => void client.middlewareStack.remove(name) };
}

/** Operations that change data or tables; used to prove that a call "changed nothing". */
export const WRITE_OPERATIONS = new Set([
  "CreateTable", "UpdateTable", "DeleteTable", "PutItem", "UpdateItem", "DeleteItem",
  "BatchWriteItem", "TransactWriteItems", "TagResource", "UntagResource", "UpdateTimeToLive",
]);
