/**
 * Pre-step, part 1: make sure the table exists with the expected key schema
 * and is ACTIVE. Creates it when missing; never modifies an existing table.
 * Runs with the deployer's credentials, never inside Lambda.
 */
import { CreateTableCommand, type DynamoDBClient, type TableDescription } from "@aws-sdk/client-dynamodb";
import { pollUntil } from "../data/backoff";
import { describeTable } from "./describeTable";
import { TableNotReadyError } from "../errors";
import { assertKeySchema, createTableInput } from "./keySchema";

export interface EnsureTableOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Applied at creation only; reconciling tags on an existing table is the pre-step's settings step. */
  tags?: Record<string, string>;
  log?: (message: string) => void;
  /** How long to wait for ACTIVE; on-demand tables usually take seconds. */
  timeoutMs?: number;
}

export interface EnsureTableResult {
  created: boolean;
  table: TableDescription;
}

/**
 * Idempotent: on an existing ACTIVE table with the right key schema it sends
 * one DescribeTable and nothing else. A table with another key schema raises
 * `TableKeySchemaMismatchError` and is left untouched.
 */
export async function ensureTable(options: EnsureTableOptions): Promise<EnsureTableResult> {
  const { client, tableName, tags, log = () => {}, timeoutMs } = options;
  const existing = await describeTable(client, tableName);
  let created = false;

  if (existing) {
    assertKeySchema(tableName, existing);
    if (existing.TableStatus === "ACTIVE") return { created, table: existing };
  } else {
    log(`creating table "${tableName}" (pk/sk strings, on-demand billing)`);
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName, tags)));
      created = true;
    } catch (error) {
      // Another process created it between our describe and create: wait for theirs.
      if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
    }
  }

  const table = await pollUntil(
    async () => {
      const current = await describeTable(client, tableName);
      if (!current) return { done: false, status: "not visible yet" };
      assertKeySchema(tableName, current);
      if (current.TableStatus === "DELETING") {
        throw new TableNotReadyError(tableName, "DELETING", "it is being deleted; wait for the deletion to finish, then run this again.");
      }
      return current.TableStatus === "ACTIVE" ? { done: true, value: current } : { done: false, status: current.TableStatus ?? "unknown" };
    },
    { what: `table "${tableName}" to become ACTIVE`, log, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
  );
  if (created) log(`table "${tableName}" is ACTIVE`);
  return { created, table };
}
