/**
 * The one door handlers use to reach the table. The first call of a cold
 * start checks the table and the migrations; every later call returns the
 * same clients without a request.
 *
 * This module owns the process-wide cache: one DynamoDBClient per region and
 * endpoint, one memoized preparation per client and table. Concurrent first
 * calls share a single run; a failed run is dropped so the next call retries.
 */
import type { DynamoDBClient, TableDescription } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createClient, createDocumentClient } from "./clients";
import { configFromEnv, configWith, type DynamoConfig } from "./config";
import { describeTable } from "../table/describeTable";
import { PendingMigrationsError, TableNotFoundError, TableNotReadyError } from "../errors";
import type { Migration } from "../migrations/migration";
import { migrationStatus } from "../migrations/migrationStatus";
import { dynamoMigrationStorage } from "../migrations/migrationStorage";
import { assertKeySchema } from "../table/keySchema";

export interface Connection {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
}

/** What connect() does when the table has migrations this code expects but nobody applied. */
export type OnPending = "apply" | "fail";

export interface ConnectOptions {
  /** Defaults to TABLE_NAME. */
  tableName?: string;
  /** Defaults to AWS_REGION. */
  region?: string;
  /** Defaults to DYNAMODB_ENDPOINT; unset means AWS. */
  endpoint?: string;
  /** A client of your own (custom middleware, tests). The cache is then kept per this client. */
  client?: DynamoDBClient;
  /** The application's migration index, oldest first: what this code expects the table to have run. */
  migrations: readonly Migration[];
  /**
   * "fail" (default inside Lambda, whose role cannot change the table) raises
   * PendingMigrationsError naming them; "apply" (default elsewhere) runs them
   * under the migration lock. MIGRATIONS_ON_CONNECT=apply|fail overrides the default.
   */
  onPending?: OnPending;
  log?: (message: string) => void;
}

const clientsByEndpoint = new Map<string, DynamoDBClient>();
const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();
const preparations = new WeakMap<DynamoDBClient, Map<string, Promise<Connection>>>();

export function connect(options: ConnectOptions): Promise<Connection> {
  let config: DynamoConfig | undefined;
  try {
    config = options.client && options.tableName ? undefined : resolveConfig(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const tableName = options.tableName ?? config!.tableName;
  const client = options.client ?? cachedClient(config!.region, config!.endpoint);

  let byTable = preparations.get(client);
  if (!byTable) preparations.set(client, (byTable = new Map()));
  const cached = byTable.get(tableName);
  if (cached) return cached;

  let documentClient = documentClients.get(client);
  if (!documentClient) documentClients.set(client, (documentClient = createDocumentClient(client)));

  const connection: Connection = { client, documentClient, tableName };
  const running = prepare(connection, options).then(() => connection);
  byTable.set(tableName, running);
  running.catch(() => byTable.delete(tableName));
  return running;
}

let envConfig: DynamoConfig | undefined;

/** Options over environment; the environment alone is read once per process. */
function resolveConfig(options: ConnectOptions): DynamoConfig {
  if (!options.tableName && !options.region && !options.endpoint) return (envConfig ??= configFromEnv());
  return configWith(options);
}

function cachedClient(region: string, endpoint: string | undefined): DynamoDBClient {
  const key = `${region}|${endpoint ?? ""}`;
  let client = clientsByEndpoint.get(key);
  if (!client) clientsByEndpoint.set(key, (client = createClient({ region, endpoint })));
  return client;
}

function defaultOnPending(): OnPending {
  const configured = process.env.MIGRATIONS_ON_CONNECT;
  if (configured === "apply" || configured === "fail") return configured;
  return process.env.AWS_LAMBDA_FUNCTION_NAME ? "fail" : "apply";
}

/** Table assertion and migration check in parallel; umzug is loaded only if something is pending. */
async function prepare(connection: Connection, options: ConnectOptions): Promise<void> {
  const { client, documentClient, tableName } = connection;
  const { migrations } = options;
  const log = options.log ?? ((message: string) => console.log(`[connect] ${message}`));

  const [table, executed] = await Promise.allSettled([
    describeTable(client, tableName),
    dynamoMigrationStorage({ documentClient, tableName }).executed({ context: undefined }),
  ]);
  // The table's state explains a failed Query better than the Query's own error does.
  if (table.status === "rejected") throw table.reason;
  assertUsable(tableName, table.value);
  if (executed.status === "rejected") throw executed.reason;

  const { pending, unknown } = migrationStatus(migrations, executed.value);
  if (unknown.length > 0) {
    log(`table "${tableName}" has migrations this code does not know (${unknown.join(", ")}): newer code has migrated it.`);
  }
  if (pending.length === 0) return;
  if ((options.onPending ?? defaultOnPending()) === "fail") throw new PendingMigrationsError(tableName, pending);

  const { migrator } = await import("../migrations/migrationRunner");
  await migrator({ client, documentClient, tableName, migrations, log }).up();
}

function assertUsable(tableName: string, table: TableDescription | undefined): asserts table is TableDescription {
  if (!table) throw new TableNotFoundError(tableName);
  assertKeySchema(tableName, table);
  // UPDATING (an index being added, say) still serves reads and writes.
  if (table.TableStatus !== "ACTIVE" && table.TableStatus !== "UPDATING") {
    throw new TableNotReadyError(tableName, table.TableStatus ?? "unknown", "it cannot serve requests yet; retry once it is ACTIVE.");
  }
}
