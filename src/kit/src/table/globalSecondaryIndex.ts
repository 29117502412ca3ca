/**
 * Adding and removing a global secondary index, for migrations. One index per
 * UpdateTable (DynamoDB's rule), idempotent (an index that exists, or is
 * already being built, is waited for instead of created again), and done only
 * when the index is ACTIVE and no longer backfilling. A new index takes the
 * table's on-demand maximum: an index without one would be a way around it.
 */
import {
  UpdateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndexDescription,
  type Projection,
  type ScalarAttributeType,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { pollUntil, retry } from "../data/backoff";
import { describeTable } from "./describeTable";
import { TableNotFoundError } from "../errors";

export interface IndexDefinition {
  name: string;
  partitionKey: { name: string; type: ScalarAttributeType };
  sortKey?: { name: string; type: ScalarAttributeType };
  /** Defaults to ALL. */
  projection?: Projection;
}

export interface IndexOptions {
  client: DynamoDBClient;
  tableName: string;
  log?: (message: string) => void;
  timeoutMs?: number;
  /** The migration's signal: the wait stops before its next check once it is aborted (the lock was lost). */
  signal?: AbortSignal;
}

async function tableOf(client: DynamoDBClient, tableName: string) {
  const table = await describeTable(client, tableName);
  if (!table) throw new TableNotFoundError(tableName);
  return table;
}

async function indexOf(client: DynamoDBClient, tableName: string, name: string): Promise<GlobalSecondaryIndexDescription | undefined> {
  return (await tableOf(client, tableName)).GlobalSecondaryIndexes?.find((i) => i.IndexName === name);
}

/** The table's on-demand maximum, for a new index to take (none when the table has none). */
function maximumOf({ OnDemandThroughput: t }: TableDescription) {
  return t?.MaxReadRequestUnits && t.MaxReadRequestUnits > 0 && t.MaxWriteRequestUnits && t.MaxWriteRequestUnits > 0
    ? { OnDemandThroughput: { MaxReadRequestUnits: t.MaxReadRequestUnits, MaxWriteRequestUnits: t.MaxWriteRequestUnits } }
    : {};
}

/** UpdateTable, retried while another table update (say, another index) is in progress. */
function updateTable(client: DynamoDBClient, input: ConstructorParameters<typeof UpdateTableCommand>[0], log: (m: string) => void) {
  return retry(() => client.send(new UpdateTableCommand(input)), {
    retryIf: (error) => error instanceof Error && error.name === "ResourceInUseException",
    attempts: 60,
    baseMs: 250,
    onRetry: (_error, attempt) => attempt === 0 && log(`table "${input.TableName}" is busy with another update; waiting to change index`),
  });
}

export async function addGlobalSecondaryIndex({
  client,
  tableName,
  index,
  log = () => {},
  timeoutMs,
  signal,
}: IndexOptions & { index: IndexDefinition }): Promise<void> {
  signal?.throwIfAborted();
  const table = await tableOf(client, tableName);
  if (!table.GlobalSecondaryIndexes?.some((i) => i.IndexName === index.name)) {
    log(`creating index "${index.name}" on table "${tableName}"`);
    const keys = [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])];
    try {
      await updateTable(
        client,
        {
          TableName: tableName,
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
          GlobalSecondaryIndexUpdates: [
            {
              Create: {
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: "HASH" },
                  ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: "RANGE" as const }] : []),
                ],
                Projection: index.projection ?? { ProjectionType: "ALL" },
                ...maximumOf(table),
              },
            },
          ],
        },
        log,
      );
    } catch (error) {
      // Another process created it between our check and our update: wait for theirs.
      if (!(error instanceof Error && /already exists/i.test(error.message))) throw error;
    }
  }
  await pollUntil(
    async () => {
      const current = await indexOf(client, tableName, index.name);
      if (current?.IndexStatus === "ACTIVE" && !current.Backfilling) return { done: true, value: undefined };
      return { done: false, status: current ? `${current.IndexStatus}${current.Backfilling ? ", backfilling" : ""}` : "not visible yet" };
    },
    { what: `index "${index.name}" to become ACTIVE`, log, initialDelayMs: 500, signal, ...(timeoutMs ? { timeoutMs } : {}) },
  );
  log(`index "${index.name}" is ACTIVE`);
}

export async function removeGlobalSecondaryIndex({
  client,
  tableName,
  indexName,
  log = () => {},
  timeoutMs,
  signal,
}: IndexOptions & { indexName: string }): Promise<void> {
  signal?.throwIfAborted();
  const current = await indexOf(client, tableName, indexName);
  if (current && current.IndexStatus !== "DELETING") {
    log(`deleting index "${indexName}" from table "${tableName}"`);
    await updateTable(client, { TableName: tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }] }, log);
  }
  await pollUntil(
    async () => {
      const still = await indexOf(client, tableName, indexName);
      return still ? { done: false, status: still.IndexStatus ?? "unknown" } : { done: true, value: undefined };
    },
    { what: `index "${indexName}" to be deleted`, log, initialDelayMs: 500, signal, ...(timeoutMs ? { timeoutMs } : {}) },
  );
}
