/**
 * `make restore-drill DEPLOYMENT=x`: proves the deployment's table can be
 * restored and served, and measures how long it takes (the recovery time).
 *
 * One flow; AWS and the local deployment differ only in how the scratch table
 * is made: on AWS a point-in-time restore of the table (at its latest
 * restorable time) into a new table, refused while point-in-time recovery is
 * off; locally, where DynamoDB Local has no backups, a copy of every item into
 * a table of the same keys and indexes. Then, on the scratch table: wait until
 * it is ACTIVE (the time to restore), apply the deployment's settings (TTL,
 * the on-demand maximum, tags; not the deletion protection, so it can go),
 * check it with connect() (its key schema and the migrations this code
 * expects), answer the walkthrough's read-only requests through the built API
 * (no 5xx, and each answer one the spec declares), compare its item count
 * with the source's, print the measured times and delete the scratch table,
 * whatever happened.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateTableCommand, DeleteTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type TableDescription } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand as DocumentScanCommand } from "@aws-sdk/lib-dynamodb";
import { StarterError, batchWriteAll, connect, createClient } from "@dynamodb-starter/kit/runtime";
import { describeTable, pollUntil, reconcileTable, type TableSettings } from "@dynamodb-starter/kit/ops";
import { contractChecker, callerClaims, operationOf, type AppContract } from "@dynamodb-starter/kit/contract";
import { apiGatewayEvent, jwtContext } from "@dynamodb-starter/kit/testing";
import { parseArgs } from "node:util";
import { smokeRequests } from "../aws/release";
import { assertCredentials } from "../aws/credentials";
import { deploymentTable } from "../deployments";
import { buildFunctions } from "../build";
import { httpFunction, loadFunctions } from "../functions";
import { BuiltFunction } from "../local/builtFunction";
import { loadContract, project, type Project } from "../project";
import { formatDuration } from "../format";

export class RestoreDrillError extends StarterError<"RESTORE_DRILL"> {
  override name = "RestoreDrillError";
  constructor(message: string) {
    super("RESTORE_DRILL", message);
  }
}

/** Where the drill restores from, and how it makes a scratch table of it: AWS's point-in-time restore, or a local copy. */
export interface DrillSource {
  /** "point-in-time restore" or "copy". */
  method: string;
  client: DynamoDBClient;
  tableName: string;
  /** The built API's environment to reach the scratch table (region, endpoint, credentials). */
  env: NodeJS.ProcessEnv;
  /** Refuses, saying how to fix it, when the table cannot be restored (no point-in-time recovery). Returns what the restore is of. */
  check(log: (line: string) => void): Promise<string>;
  /** Starts making `scratch` from the table; the drill then waits until it is ACTIVE. */
  start(scratch: string, log: (line: string) => void): Promise<void>;
}

export interface DrillReport {
  deployment: string;
  method: string;
  of: string;
  scratchTable: string;
  /** From the start of the restore to the scratch table ACTIVE, and to the end of the checks. */
  restoreMs: number;
  readyMs: number;
  items: { source: number; scratch: number };
  requests: { request: string; status: number }[];
}

/**
 * A scratch table's name: the table's, a time and a random part (26 characters), within DynamoDB's 255: whole, so
 * that the drill role's <table>-drill-* matches it, for a table name of up to 229 characters.
 */
export const scratchName = (tableName: string, now = new Date()) =>
  `${tableName.slice(0, 229)}-drill-${now.toISOString().slice(0, 16).replace(/[-:T]/g, "")}-${randomBytes(3).toString("hex")}`;

/** Items in a table, by a consistent parallel scan of its keys only (COUNT). */
export async function countItems(client: DynamoDBClient, tableName: string, segments = 4): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            Select: "COUNT",
            Segment: segment,
            TotalSegments: segments,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * The settings a scratch table takes: those a restore drops and the API's behaviour depends on (TTL, the on-demand
 * maximum) and its tags. Not deletion protection (it must go), backups or a stream (cost for nothing), nor encryption:
 * a restore keeps the source's unless told otherwise, and changing it would need the key's permissions.
 */
export function scratchSettings(settings: TableSettings, scratch: string): TableSettings {
  const { ttlAttribute, onDemandMaximum, tags } = settings;
  return {
    ...(ttlAttribute === undefined ? {} : { ttlAttribute }),
    ...(onDemandMaximum === undefined ? {} : { onDemandMaximum }),
    deletionProtection: false,
    tags: { ...tags, "restore-drill": scratch },
  };
}

/** The walkthrough's read-only requests answered by the built API on the scratch table: none a 5xx, each one the spec declares. */
async function readThroughApi(api: BuiltFunction, contract: AppContract, spec: unknown, log: (line: string) => void): Promise<DrillReport["requests"]> {
  const check = spec ? contractChecker(spec as never) : undefined;
  const answered: DrillReport["requests"] = [];
  const failures: string[] = [];
  for (const r of smokeRequests(contract)) {
    const event = apiGatewayEvent({
      method: r.method,
      rawPath: r.path,
      ...(r.query ? { rawQueryString: new URLSearchParams(r.query).toString() } : {}),
      ...(r.as ? { jwt: jwtContext(callerClaims(contract, r)) } : {}),
    });
    const { statusCode, body } = await api.send(event);
    const request = `${r.method} ${r.path}`;
    answered.push({ request, status: statusCode });
    if (statusCode >= 500) failures.push(`${request} answered ${statusCode}`);
    else {
      const operation = spec ? operationOf(spec as never, r.method, r.path) : undefined;
      const problem = operation ? check?.(operation, statusCode, body ? (JSON.parse(body) as unknown) : undefined) : undefined;
      if (spec && !operation) failures.push(`${request} is no operation of openapi.json: run make openapi`);
      if (problem) failures.push(`${request} answered ${statusCode}, which the spec does not declare: ${problem.problem}`);
    }
  }
  log(`  the built API answered ${answered.length} read-only request(s) of the walkthrough: ${answered.map((a) => `${a.request} ${a.status}`).join(", ")}`);
  if (failures.length) throw new RestoreDrillError(`the restored table does not serve the API:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
  return answered;
}

export interface DrillOptions {
  deployment: string;
  source: DrillSource;
  settings: TableSettings;
  log?: (line: string) => void;
  p?: Project;
  /** The largest share of items the scratch table may differ by from the live table, which kept taking writes since. */
  tolerance?: number;
}

/** How far apart the scratch table's item count and the live table's may be, by default: the live table's writes since the restore point. */
export const DEFAULT_COUNT_TOLERANCE = 0.01;

export async function restoreDrill({
  deployment,
  source,
  settings,
  log = console.log,
  p = project(),
  tolerance = DEFAULT_COUNT_TOLERANCE,
}: DrillOptions): Promise<DrillReport> {
  const contract = loadContract(p);
  const of = await source.check(log);
  const http = httpFunction(loadFunctions(p));
  log(`restore drill of deployment "${deployment}": building the API (${http.name})`);
  const [artifact] = await buildFunctions(join(p.distDir, "drill"), [http]);
  const scratch = scratchName(source.tableName);
  const started = Date.now();
  log(`${source.method} of table "${source.tableName}" (${of}) into "${scratch}"`);
  let api: BuiltFunction | undefined;
  let created = false;
  try {
    await source.start(scratch, log);
    created = true;
    await pollUntil(
      async () => {
        const table = await describeTable(source.client, scratch);
        return table?.TableStatus === "ACTIVE" ? { done: true, value: table } : { done: false, status: table?.TableStatus ?? "not yet listed" };
      },
      {
        what: `table ${scratch} to become ACTIVE`,
        timeoutMs: 12 * 3_600_000,
        initialDelayMs: 500,
        maxDelayMs: 30_000,
        progressEveryMs: 30_000,
        log: (line) => log(`  ${line}`),
      },
    );
    const restoreMs = Date.now() - started;
    log(`  ${scratch} is ACTIVE after ${formatDuration(restoreMs)}: the time to restore`);

    await reconcileTable({
      client: source.client,
      tableName: scratch,
      settings: scratchSettings(settings, scratch),
      apply: true,
      log: (line) => log(`  ${line}`),
    });
    // The table check every function makes at its cold start: its keys, and the migrations this code expects, all recorded.
    await connect({
      client: source.client,
      tableName: scratch,
      migrations: contract.api.migrations,
      onPending: "fail",
      log: (line) => log(`  connect(): ${line}`),
    });
    log("  connect() checked the scratch table: its keys, and every migration of this code recorded");

    const specFile = join(p.root, "openapi.json");
    const spec = existsSync(specFile) ? (JSON.parse(readFileSync(specFile, "utf8")) as unknown) : undefined;
    api = new BuiltFunction(artifact!.entry, {
      ...source.env,
      TABLE_NAME: scratch,
      MIGRATIONS_ON_CONNECT: "fail",
      CURSOR_SECRET: randomBytes(24).toString("base64url"),
    });
    const requests = await readThroughApi(api, contract, spec, log);

    const [sourceItems, scratchItems] = await Promise.all([countItems(source.client, source.tableName), countItems(source.client, scratch)]);
    const differs = Math.abs(sourceItems - scratchItems);
    log(`  items: ${scratchItems} in the scratch table, ${sourceItems} in "${source.tableName}" now`);
    if (differs > Math.max(0, Math.floor(sourceItems * tolerance))) {
      throw new RestoreDrillError(
        `the scratch table holds ${scratchItems} item(s) and "${source.tableName}" ${sourceItems}: more apart than the ${tolerance * 100}% ` +
          `the table's own writes since the restore point explain. Look at what wrote to it meanwhile, and run the drill again.`,
      );
    }
    const readyMs = Date.now() - started;
    log(`restore drill passed: restored in ${formatDuration(restoreMs)}, serving in ${formatDuration(readyMs)} (the recovery time to plan for)`);
    return {
      deployment,
      method: source.method,
      of,
      scratchTable: scratch,
      restoreMs,
      readyMs,
      items: { source: sourceItems, scratch: scratchItems },
      requests,
    };
  } finally {
    api?.stop();
    if (created) await deleteScratch(source.client, scratch, log);
  }
}

async function deleteScratch(client: DynamoDBClient, scratch: string, log: (line: string) => void): Promise<void> {
  try {
    await pollUntil(
      async () => {
        const table = await describeTable(client, scratch);
        return !table || table.TableStatus === "ACTIVE" ? { done: true, value: table } : { done: false, status: table.TableStatus ?? "unknown" };
      },
      { what: `table ${scratch} to settle before it is deleted`, timeoutMs: 12 * 3_600_000, maxDelayMs: 30_000, progressEveryMs: 60_000, log },
    );
    await client.send(new DeleteTableCommand({ TableName: scratch }));
    log(`deleted the scratch table ${scratch}`);
  } catch (error) {
    if (error instanceof Error && error.name === "ResourceNotFoundException") return;
    log(`could not delete the scratch table ${scratch} (${(error as Error).message}): delete it by hand (it has no deletion protection)`);
  }
}

/** The local deployment's table, copied into the scratch table: DynamoDB Local has no point-in-time recovery. */
export function localCopySource(client: DynamoDBClient, tableName: string, endpoint: string, region: string): DrillSource {
  return {
    method: "copy (DynamoDB Local has no point-in-time recovery)",
    client,
    tableName,
    env: { AWS_REGION: region, DYNAMODB_ENDPOINT: endpoint },
    async check() {
      const table = await describeTable(client, tableName);
      if (!table) throw new RestoreDrillError(`the local deployment has no table "${tableName}": run make deploy first. Nothing was changed.`);
      return `every item, now`;
    },
    async start(scratch, log) {
      const table = (await describeTable(client, tableName))!;
      await client.send(new CreateTableCommand(sameShape(table, scratch)));
      await pollUntil(
        async () => ((await describeTable(client, scratch))?.TableStatus === "ACTIVE" ? { done: true, value: true } : { done: false, status: "CREATING" }),
        {
          what: `table ${scratch} to become ACTIVE`,
        },
      );
      const copied = await copyItems(client, tableName, scratch);
      log(`  copied ${copied} item(s)`);
    },
  };
}

/** A CreateTable of `scratch` with `table`'s keys and global secondary indexes, on demand. */
export function sameShape(table: TableDescription, scratch: string) {
  return {
    TableName: scratch,
    AttributeDefinitions: table.AttributeDefinitions,
    KeySchema: table.KeySchema,
    BillingMode: "PAY_PER_REQUEST" as const,
    ...(table.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: table.GlobalSecondaryIndexes.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection })),
        }
      : {}),
  };
}

/** Every item of `from` into `to`, as DynamoDB holds it (numbers kept as their digits, never JavaScript numbers). */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<number> {
  const documentClient = DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: true } });
  let copied = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(new DocumentScanCommand({ TableName: from, ConsistentRead: true, ExclusiveStartKey: start }));
    const items = page.Items ?? [];
    await batchWriteAll(
      { documentClient, tableName: to },
      items.map((Item) => ({ PutRequest: { Item } })),
    );
    copied += items.length;
    start = page.LastEvaluatedKey;
  } while (start);
  return copied;
}

/** `make restore-drill DEPLOYMENT=x`: the drill, from AWS's point-in-time recovery or, locally, a copy. */
export async function main(argv: string[], log: (line: string) => void = console.log, p: Project = project()): Promise<DrillReport> {
  const { values } = parseArgs({ args: argv, options: { deployment: { type: "string", default: "local" } }, strict: true });
  const deployment = values.deployment!;
  const { settings, ...config } = await deploymentTable(deployment, p);
  const client = createClient(config);
  try {
    let source: DrillSource;
    if (config.endpoint) source = localCopySource(client, config.tableName, config.endpoint, config.region);
    else {
      await assertCredentials(client, config.region);
      const { pointInTimeSource } = await import("../aws/restoreTable");
      source = pointInTimeSource(client, config.tableName, config.region, deployment);
    }
    return await restoreDrill({ deployment, source, settings, log, p });
  } finally {
    client.destroy();
  }
}
