/**
 * One scan segment of a migration's declared backfill, as a Lambda handler: the worker that the backfill state
 * machine (Step Functions Distributed Map) runs once per segment, again and again until the segment is done. It makes
 * the same conditional, minimal updates as a backfill in one process, with its segment's share of the write budget,
 * and saves a checkpoint after each page, so a retried or resumed call redoes at most a page. It returns before its
 * remaining time runs out, saying whether the segment is done; the state machine calls it again if not.
 *
 * It refuses a migration the code does not know (or that declares no backfill), and a run whose lock owner is no
 * longer the migration lock's holder: each checkpoint is written in one transaction with a check that the lock is
 * still held by the process that started the run, which heartbeats it for the whole execution.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConfigError, MigrationLockLostError } from "../errors";
import type { Migration } from "../migrations/migration";
import { partitionKeys } from "../migrations/migrationsPartition";
import { createClient, createDocumentClient } from "../runtime/clients";
import { configFromEnv } from "../runtime/config";
import { backfill, type BackfillResult } from "./backfill";
import { readCheckpoints, type Fence } from "./backfillCheckpoints";

/** What the state machine hands each call: the run, and the segment. */
export interface BackfillTask {
  migration: string;
  segment: number;
  totalSegments: number;
  /** The migration lock's owner for this run: the process that started it and holds the lock throughout. */
  lockOwner: string;
  /** This segment's writes per second (the run's budget shared by its segments); 0 or absent: no budget. */
  maxWritesPerSecond?: number;
}

export interface BackfillTaskResult extends BackfillTask {
  /** Whether the segment is done; the state machine calls again with the same task until it is. */
  done: boolean;
  /** This call's counts. */
  scanned: number;
  written: number;
  gone: number;
  writeUnits: number;
}

export interface BackfillWorkerOptions {
  /** The app's migration index: the worker runs the backfills it declares, and nothing else. */
  migrations: readonly Migration[];
  /** Time kept back from the Lambda timeout: the last page must be written and checkpointed within it. */
  marginMs?: number;
  /** Clients, by default from TABLE_NAME, DYNAMODB_ENDPOINT and AWS_REGION. */
  client?: DynamoDBClient;
  tableName?: string;
}

const isTask = (task: unknown): task is BackfillTask => {
  const t = task as Partial<BackfillTask> | null;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.migration === "string" &&
    typeof t.lockOwner === "string" &&
    Number.isInteger(t.segment) &&
    Number.isInteger(t.totalSegments) &&
    t.segment! >= 0 &&
    t.segment! < t.totalSegments! &&
    (t.maxWritesPerSecond === undefined || (typeof t.maxWritesPerSecond === "number" && t.maxWritesPerSecond >= 0))
  );
};

/** Checkpoints written only while `owner` holds the migration lock (whatever its heartbeat version). */
const ownerFence =
  (tableName: string, owner: string): Fence =>
  (write) =>
    write({
      TableName: tableName,
      Key: partitionKeys.lock(),
      ConditionExpression: "#owner = :owner",
      ExpressionAttributeNames: { "#owner": "owner" },
      ExpressionAttributeValues: { ":owner": owner },
    });

async function lockHolder(documentClient: DynamoDBDocumentClient, tableName: string): Promise<string | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: partitionKeys.lock(), ConsistentRead: true }));
  return Item?.owner as string | undefined;
}

/** The backfill worker's handler (`export const handler = createBackfillWorker({ migrations })`). */
export function createBackfillWorker({ migrations, marginMs = 60_000, ...options }: BackfillWorkerOptions) {
  let clients: { documentClient: DynamoDBDocumentClient; tableName: string } | undefined;
  return async (task: unknown, context: { getRemainingTimeInMillis(): number; awsRequestId?: string }): Promise<BackfillTaskResult> => {
    if (!isTask(task))
      throw new ConfigError(`a backfill task is { migration, segment, totalSegments, lockOwner[, maxWritesPerSecond] }, not ${JSON.stringify(task)}`);
    const migration = migrations.find((m) => m.name === task.migration);
    if (!migration?.backfill) {
      throw new ConfigError(
        `migration "${task.migration}" ${migration ? "declares no backfill" : "is not in this code's migration index"}: this worker runs none of it`,
      );
    }
    if (!clients) {
      const config = options.client && options.tableName ? undefined : configFromEnv();
      const client = options.client ?? createClient(config!);
      clients = { documentClient: createDocumentClient(client), tableName: options.tableName ?? config!.tableName };
    }
    const { documentClient, tableName } = clients;
    // A run whose process lost the lock (another deploy took it over) writes nothing more.
    const holder = await lockHolder(documentClient, tableName);
    if (holder !== task.lockOwner) throw new MigrationLockLostError(tableName, task.lockOwner);

    const before = await segmentCounts(documentClient, tableName, task);
    const result: BackfillResult = await backfill({
      ...migration.backfill,
      ...(task.maxWritesPerSecond ? { maxWritesPerSecond: task.maxWritesPerSecond * task.totalSegments } : {}),
      documentClient,
      tableName,
      migration: migration.name,
      segments: task.totalSegments,
      segmentsToRun: [task.segment],
      until: Date.now() + Math.max(0, context.getRemainingTimeInMillis() - marginMs),
      fence: ownerFence(tableName, task.lockOwner),
      owner: `${task.lockOwner}/worker ${context.awsRequestId ?? "local"}`,
      progressEveryMs: 60_000,
      log: (line) => console.log(JSON.stringify({ level: "info", type: "backfill", segment: task.segment, message: line })),
    });
    const after = await segmentCounts(documentClient, tableName, task);
    return {
      ...task,
      done: result.complete,
      scanned: after.scanned - before.scanned,
      written: after.written - before.written,
      gone: result.gone,
      writeUnits: result.writeUnits,
    };
  };
}

/** The segment's counts so far, from its checkpoint. */
async function segmentCounts(documentClient: DynamoDBDocumentClient, tableName: string, task: BackfillTask): Promise<{ scanned: number; written: number }> {
  const checkpoint = (await readCheckpoints(documentClient, tableName, task.migration)).find((c) => c.segment === task.segment);
  return { scanned: checkpoint?.scanned ?? 0, written: checkpoint?.written ?? 0 };
}
