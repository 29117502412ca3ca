/**
 * The one door handlers use to reach the table. The first call of a cold
 * start checks the table and the migrations with one request; every later
 * call returns the same clients without a request.
 *
 * That one request is the consistent Query of the migrations partition
 * (`pk = "_migrations" AND begins_with(sk, "migration#")`). DynamoDB answers
 * it only for a table that exists, serves reads, and is keyed by string `pk`
 * (HASH) and `sk` (RANGE): a missing table, one still CREATING, or one with
 * any other key schema fails it. Only then is DescribeTable sent, to say
 * which. So a normal cold start costs one data-plane read, and no
 * control-plane call that a fleet of cold starts could get throttled on.
 *
 * This module owns the process-wide cache: one DynamoDBClient per region and
 * endpoint, one memoized preparation per client and table. Concurrent first
 * calls share a single run; a failed run is dropped so the next call retries.
 * A client and table are checked against one migration index and one
 * `onPending`: a later call with others is an error, never silently served
 * with the first call's.
 */
import type { DynamoDBClient, TableDescription } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createClient, createDocumentClient } from "./clients";
import { meterClient } from "./requestMeter";
import { configFromEnv, configWith, type DynamoConfig } from "./config";
import { describeTable } from "../table/describeTable";
import { ConfigError, PendingMigrationsError, TableNotFoundError, TableNotReadyError } from "../errors";
import type { Migration } from "../migrations/migration";
import { migrationStatus } from "../migrations/migrationStatus";
import { splitAtContract } from "../migrations/migration";
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
   * under the migration lock. MIGRATIONS_ON_CONNECT=apply|fail sets the default
   * where the code cannot tell (a local API serving the built artifact says "fail").
   */
  onPending?: OnPending;
  log?: (message: string) => void;
}

const clientsByEndpoint = new Map<string, DynamoDBClient>();
const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();
/** Per client and table: the one connection object, and its check while running or once passed (a failed check is dropped). */
const opened = new WeakMap<
  DynamoDBClient,
  Map<string, { connection: Connection; ready: Promise<Connection> | undefined; migrations: readonly Migration[]; onPending: OnPending }>
>();

/** Whether a later call asks for what the connection was opened with: the same index (by identity, else by names) and onPending. */
function sameSettings(entry: { migrations: readonly Migration[]; onPending: OnPending }, options: ConnectOptions): boolean {
  if ((options.onPending ?? defaultOnPending()) !== entry.onPending) return false;
  if (options.migrations === entry.migrations) return true; // every request of a handler: no work
  const [a, b] = [entry.migrations.map((m) => m.name), options.migrations.map((m) => m.name)];
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** Resolves once the table is checked (and migrated, when `onPending` is "apply"); the first call of a process does the work. */
export function connect(options: ConnectOptions): Promise<Connection> {
  try {
    return openConnection(options).ready;
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The connection at once, beside the check that connect() awaits. For work
 * that may start before the check ends because it changes nothing (a read):
 * start it, then await `ready` before using its result. Throws a ConfigError
 * at once when the configuration is incomplete.
 */
export function openConnection(options: ConnectOptions): { connection: Connection; ready: Promise<Connection> } {
  const config = options.client && options.tableName ? undefined : resolveConfig(options);
  const tableName = options.tableName ?? config!.tableName;
  const client = options.client ?? cachedClient(config!.region, config!.endpoint);
  meterClient(client); // before the first request: a cold start's check counts toward its request's cost

  let byTable = opened.get(client);
  if (!byTable) opened.set(client, (byTable = new Map()));
  let entry = byTable.get(tableName);
  if (!entry) {
    let documentClient = documentClients.get(client);
    if (!documentClient) documentClients.set(client, (documentClient = createDocumentClient(client)));
    const settings = { migrations: options.migrations, onPending: options.onPending ?? defaultOnPending() };
    byTable.set(tableName, (entry = { connection: { client, documentClient, tableName }, ready: undefined, ...settings }));
  } else if (!sameSettings(entry, options)) {
    throw new ConfigError(
      `connect() already serves table "${tableName}" in this process with other migrations or another onPending ` +
        `(${entry.migrations.length} migration(s), onPending "${entry.onPending}"): a process checks a table against one configuration. ` +
        `Pass the same options everywhere, or a client of your own for a second configuration.`,
    );
  }
  if (!entry.ready) {
    const { connection } = entry;
    const ready = prepare(connection, options).then(() => connection);
    entry.ready = ready;
    ready.catch(() => {
      if (entry.ready === ready) entry.ready = undefined;
    });
  }
  return { connection: entry.connection, ready: entry.ready };
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

/** One Query checks the table and reads the executed migrations; umzug is loaded only if something is pending. */
async function prepare(connection: Connection, options: ConnectOptions): Promise<void> {
  const { client, documentClient, tableName } = connection;
  const { migrations } = options;
  const log = options.log ?? ((message: string) => console.log(`[connect] ${message}`));

  let executed: string[];
  try {
    executed = await dynamoMigrationStorage({ documentClient, tableName }).executed({ context: undefined });
  } catch (error) {
    // The table's own description says what is wrong better than the Query's error does; if it cannot be read either
    // (the network is down, say), or shows nothing wrong, the Query's error stands.
    const table = await describeTable(client, tableName).catch(() => "unreadable" as const);
    if (table !== "unreadable") assertUsable(tableName, table);
    throw error;
  }

  const { pending, unknown } = migrationStatus(migrations, executed);
  if (unknown.length > 0) {
    log(`table "${tableName}" has migrations this code does not know (${unknown.join(", ")}): newer code has migrated it.`);
  }
  if (pending.length === 0) return;
  const onPending = options.onPending ?? defaultOnPending();
  // A deploy applies a contract (and what follows it) only once this code takes all the traffic: code is written to
  // serve before its contracts run, so only a pending expand means the table is not ready for it.
  if (onPending === "fail" && splitAtContract(migrations, pending).before.length === 0) {
    log(`table "${tableName}": ${pending.join(", ")} will run once this release takes all traffic (${pending[0]} is a contract)`);
    return;
  }
  if (onPending === "fail") throw new PendingMigrationsError(tableName, pending);

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
