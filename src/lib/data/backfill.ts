/**
 * Rewrites items of the table in bulk, for data migrations: a parallel
 * segmented Scan feeds BatchWrite puts in chunks of 25, with UnprocessedItems
 * retried, and a progress line with counts and rate.
 *
 * Given the migration's context (`backfill({ ...context, transform })`), it
 * checkpoints each segment after each written page (backfillCheckpoints.ts)
 * and a re-run resumes every segment from there: an interrupted backfill
 * redoes at most one page per segment, so `transform` must give the same
 * result when it meets an item it already rewrote.
 *
 * Each rewritten item is put whole, as scanned: a write by someone else
 * between the scan and the put is lost. Run backfills in the pre-step, before
 * the code that writes those items changes, as the migrations here do.
 */
import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConfigError } from "../errors";
import { writeBudget } from "./writeBudget";
import { MAX_BACKFILL_SEGMENTS, resumePlan, saveCheckpoint, type Fence } from "./backfillCheckpoints";
import { BATCH_WRITE_LIMIT, batchWriteAll, type WriteRequest } from "./batchWrite";

type Item = Record<string, unknown>;

export interface BackfillOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** The new version of an item, or undefined to leave it alone. */
  transform: (item: Item) => Item | undefined;
  /** Narrows the scan (evaluated by DynamoDB, so it saves writes, not reads). */
  filter?: Pick<ScanCommandInput, "FilterExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues">;
  /** Parallel Scan segments (and writers). */
  segments?: number;
  log?: (message: string) => void;
  progressEveryMs?: number;
  /** The migration's signal: every segment stops before its next page once it is aborted (the lock was lost). */
  signal?: AbortSignal;
  /** The running migration's name (from its context): checkpoints are kept under it, and a re-run resumes from them. */
  migration?: string;
  /** The lock's fence (from the migration's context): checkpoints move only while the lock is ours. */
  fence?: Fence;
  /** Who writes the checkpoints, for `make migrate-status`. */
  owner?: string;
  /** Items per Scan page (DynamoDB's 1 MB page applies regardless): the most a resumed segment can redo. */
  pageSize?: number;
  /**
   * A ceiling on writes per second for the whole backfill, so that it does
   * not starve the live traffic of the table it rewrites. Each segment gets
   * an equal share, and halves it while DynamoDB throttles.
   */
  maxWritesPerSecond?: number;
  /** For the ETA in progress lines: DescribeTable's ItemCount (an estimate AWS refreshes about every six hours). */
  client?: DynamoDBClient;
}

export interface BackfillResult {
  scanned: number;
  written: number;
  retries: number;
  ms: number;
  /** Segments that started from a checkpoint (or were already done) instead of from the start. */
  resumedSegments: number;
}

export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { documentClient, tableName, transform, filter, segments = 4, log = () => {}, progressEveryMs = 5_000, signal, migration, fence, pageSize } = options;
  const owner = options.owner ?? "unknown";
  if (migration !== undefined && (segments < 1 || segments > MAX_BACKFILL_SEGMENTS)) {
    throw new ConfigError(`a checkpointed backfill takes 1 to ${MAX_BACKFILL_SEGMENTS} segments, not ${segments}`);
  }
  const plan = migration === undefined ? new Map() : await resumePlan(documentClient, tableName, migration, segments);
  if (plan.size > 0) log(`backfill ${tableName}: resuming "${migration}" from ${plan.size} checkpoint(s)`);
  const { maxWritesPerSecond } = options;
  const budgets = Array.from({ length: segments }, () => (maxWritesPerSecond ? writeBudget(maxWritesPerSecond / segments) : undefined));
  const estimate = options.client ? await itemCount(options.client, tableName) : undefined;
  const started = Date.now();
  const totals = { scanned: 0, written: 0, retries: 0 };
  const resumedFrom = { scanned: 0, written: 0 };
  let lastProgress = started;
  /** One line per interval, not per page: counts, rate, the budget in force, and an ETA when the table's size is known. */
  const progress = (final = false) => {
    if (!final && Date.now() - lastProgress < progressEveryMs) return;
    lastProgress = Date.now();
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = (totals.written - resumedFrom.written) / seconds;
    const scanRate = (totals.scanned - resumedFrom.scanned) / seconds;
    const budget = maxWritesPerSecond ? `, budget ${Math.round(budgets.reduce((n, b) => n + b!.rate(), 0))} writes/s` : "";
    const eta =
      !final && estimate && scanRate > 0
        ? `, scanned ~${Math.min(99, Math.round((totals.scanned / estimate) * 100))}% of ~${estimate}, ETA ${duration(Math.max(0, estimate - totals.scanned) / scanRate)}`
        : "";
    log(`backfill ${tableName}: scanned ${totals.scanned}, written ${totals.written} (${Math.round(rate)} items/s)${budget}${eta}${final ? ", done" : ""}`);
  };

  const runSegment = async (segment: number) => {
    const checkpoint = plan.get(segment);
    const done = { scanned: checkpoint?.scanned ?? 0, written: checkpoint?.written ?? 0 };
    totals.scanned += done.scanned;
    totals.written += done.written;
    resumedFrom.scanned += done.scanned;
    resumedFrom.written += done.written;
    if (checkpoint?.done) return;
    let ExclusiveStartKey: Item | undefined = checkpoint?.lastKey;
    const buffer: WriteRequest[] = [];
    /** Writes the full chunks buffered so far, or everything when `all`. */
    const flush = async (all: boolean) => {
      const ready = all ? buffer.length : buffer.length - (buffer.length % BATCH_WRITE_LIMIT);
      const chunks = buffer.splice(0, ready);
      let counted = 0;
      totals.retries += await batchWriteAll({ documentClient, tableName, budget: budgets[segment] }, chunks, (written) => {
        totals.written += written - counted;
        done.written += written - counted;
        counted = written;
        progress();
      });
    };
    do {
      signal?.throwIfAborted();
      const page = await documentClient.send(
        new ScanCommand({
          TableName: tableName,
          Segment: segment,
          TotalSegments: segments,
          ExclusiveStartKey,
          ...(pageSize ? { Limit: pageSize } : {}),
          ...filter,
        }),
      );
      for (const item of page.Items ?? []) {
        const next = transform(item);
        if (next) buffer.push({ PutRequest: { Item: next } });
      }
      totals.scanned += page.ScannedCount ?? 0;
      done.scanned += page.ScannedCount ?? 0;
      signal?.throwIfAborted();
      ExclusiveStartKey = page.LastEvaluatedKey;
      // A checkpoint may only follow the whole page onto the table: write it all first.
      await flush(migration !== undefined);
      if (migration !== undefined) {
        await saveCheckpoint(
          { documentClient, tableName, fence },
          {
            migration,
            segment,
            totalSegments: segments,
            ...(ExclusiveStartKey ? { lastKey: ExclusiveStartKey } : {}),
            done: !ExclusiveStartKey,
            ...done,
            owner,
            updatedAt: new Date().toISOString(),
          },
        );
      }
    } while (ExclusiveStartKey);
    signal?.throwIfAborted();
    await flush(true);
  };

  await Promise.all(Array.from({ length: segments }, (_, segment) => runSegment(segment)));
  progress(true);
  return { ...totals, ms: Date.now() - started, resumedSegments: plan.size };
}

/** DescribeTable's item count, or undefined when it says nothing useful. */
async function itemCount(client: DynamoDBClient, tableName: string): Promise<number | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.ItemCount ? Table.ItemCount : undefined;
  } catch {
    return undefined; // only an estimate for progress lines: never a reason to fail
  }
}

const duration = (seconds: number) =>
  seconds >= 3_600 ? `${(seconds / 3_600).toFixed(1)} h` : seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
