/**
 * Rewrites items of the table in bulk, for data migrations: a parallel
 * segmented Scan feeds puts, with retries, an optional write budget, and a
 * progress line with counts, rate and ETA.
 *
 * Given the migration's context (`backfill({ ...context, transform })`), it
 * claims each segment (backfillClaims.ts), writes its items in transactions
 * fenced by the claim and checkpoints it after each written page
 * (backfillCheckpoints.ts); a re-run, or another worker, resumes every
 * segment from there. An interrupted backfill redoes at most one page per
 * segment, so `transform` must give the same result when it meets an item it
 * already rewrote. Transactions cost two write units per item where
 * BatchWriteItem costs one: the price of never letting a stale worker write.
 * Without a migration it is a plain BatchWriteItem backfill, unclaimed and
 * unresumable.
 *
 * Each rewritten item is put whole, as scanned: a write by someone else
 * between the scan and the put is lost. Run backfills in the pre-step, before
 * the code that writes those items changes, as the migrations here do.
 */
import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConfigError } from "../errors";
import { MIGRATIONS_PARTITION, PARTITION_KEY } from "../table/keySchema";
import { writeBudget, type WriteBudget } from "./writeBudget";
import { checkpointUpdate, MAX_BACKFILL_SEGMENTS, resumePlan, type Checkpoint, type Fence } from "./backfillCheckpoints";
import { deleteClaims, fencedTransaction, fencedWriteAll, publishJob, workOnSegments, type FencingClaim } from "./backfillClaims";
import { batchWriteAll, type WriteRequest } from "./batchWrite";

type Item = Record<string, unknown>;

/** What a backfill does, independent of who runs it: a migration's `backfill` declares this, and workers run it. */
export interface BackfillSpec {
  /** The new version of an item, or undefined to leave it alone. */
  transform: (item: Item) => Item | undefined;
  /** Narrows the scan (evaluated by DynamoDB, so it saves writes, not reads). */
  filter?: Pick<ScanCommandInput, "FilterExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues">;
  /** Parallel Scan segments: the unit of work that processes claim. Fixed once a checkpointed backfill has started. */
  segments?: number;
  /** Items per Scan page (DynamoDB's 1 MB page applies regardless): the most a resumed segment can redo. */
  pageSize?: number;
  /**
   * A ceiling on writes per second for the whole backfill, so that it does
   * not starve the live traffic of the table it rewrites. Each segment gets
   * an equal share, whichever process works on it, and halves it while
   * DynamoDB throttles.
   */
  maxWritesPerSecond?: number;
}

export interface BackfillOptions extends BackfillSpec {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  log?: (message: string) => void;
  progressEveryMs?: number;
  /** The migration's signal: every segment stops before its next page once it is aborted (the lock was lost). */
  signal?: AbortSignal;
  /** The running migration's name (from its context): checkpoints and claims are kept under it, and a re-run resumes from them. */
  migration?: string;
  /** The migration lock's fence (from the migration's context): the job is published only while the lock is ours. */
  fence?: Fence;
  /** This process, in checkpoints and claims, for `make migrate-status`. */
  owner?: string;
  /** For the ETA in progress lines: DescribeTable's ItemCount (an estimate AWS refreshes about every six hours). */
  client?: DynamoDBClient;
  /** Segments this process works on at once (default: all of them); 0 leaves them to workers and only waits for them. */
  parallel?: number;
  /** A segment claim's lease: how long a dead worker's segment waits, on the taker's clock, before another takes it over. */
  claimLeaseMs?: number;
  /** Set by the migration runner for a declared backfill: publishes the job, so that workers can join. */
  fingerprint?: string;
  /** Set by a worker: works on a job someone else published, and stops when it is gone. */
  join?: boolean;
}

export interface BackfillResult {
  /** Items scanned and written, by every process that worked on it (from the checkpoints) when checkpointed. */
  scanned: number;
  written: number;
  retries: number;
  ms: number;
  /** Segments that started from a checkpoint (or were already done) instead of from the start. */
  resumedSegments: number;
}

const DEFAULT_CLAIM_LEASE_MS = 30_000;

export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { documentClient, tableName, transform, filter, segments = 4, log = () => {}, progressEveryMs = 5_000, signal, migration, pageSize } = options;
  const { maxWritesPerSecond } = options;
  const owner = options.owner ?? "unknown";
  if (migration !== undefined && (!Number.isInteger(segments) || segments < 1 || segments > MAX_BACKFILL_SEGMENTS)) {
    throw new ConfigError(`a checkpointed backfill takes 1 to ${MAX_BACKFILL_SEGMENTS} segments, not ${segments}`);
  }
  const plan = migration === undefined ? new Map<number, Checkpoint>() : await resumePlan(documentClient, tableName, migration, segments);
  if (plan.size > 0) log(`backfill ${tableName}: resuming "${migration}" from ${plan.size} checkpoint(s)`);
  const estimate = options.client ? await itemCount(options.client, tableName) : undefined;
  const budgets = new Set<WriteBudget>(); // of the segments this process works on now
  const started = Date.now();
  const local = { scanned: 0, written: 0, retries: 0 };
  const baseline = sum([...plan.values()]);
  let lastProgress = started;

  /** One line per interval, not per page: counts, rate, the budget in force, and an ETA when the table's size is known. */
  const progress = ({ scanned, written }: { scanned: number; written: number }, final = false) => {
    if (!final && Date.now() - lastProgress < progressEveryMs) return;
    lastProgress = Date.now();
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = (written - baseline.written) / seconds;
    const scanRate = (scanned - baseline.scanned) / seconds;
    const budget = maxWritesPerSecond && budgets.size > 0 ? `, budget ${Math.round([...budgets].reduce((n, b) => n + b.rate(), 0))} writes/s` : "";
    const eta =
      !final && estimate && scanRate > 0
        ? `, scanned ~${Math.min(99, Math.round((scanned / estimate) * 100))}% of ~${estimate}, ETA ${duration(Math.max(0, estimate - scanned) / scanRate)}`
        : "";
    log(`backfill ${tableName}: scanned ${scanned}, written ${written} (${Math.round(rate)} items/s)${budget}${eta}${final ? ", done" : ""}`);
  };

  /**
   * Scans one segment from `from` page by page and writes what `transform`
   * returns. With a claim, writes and checkpoints are fenced by it, and a
   * checkpoint follows every page once the whole page is on the table.
   */
  const scanSegment = async (segment: number, from: Checkpoint | undefined, claim: FencingClaim | undefined, stop: AbortSignal | undefined) => {
    const done = { scanned: from?.scanned ?? 0, written: from?.written ?? 0 };
    const budget = maxWritesPerSecond ? writeBudget(maxWritesPerSecond / segments) : undefined;
    if (budget) budgets.add(budget);
    let ExclusiveStartKey: Item | undefined = from?.lastKey;
    try {
      do {
        stop?.throwIfAborted();
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
        const puts: WriteRequest[] = [];
        for (const item of page.Items ?? []) {
          if (item[PARTITION_KEY] === MIGRATIONS_PARTITION) continue; // the migrations' own records, lock, checkpoints and claims
          const next = transform(item);
          if (next) puts.push({ PutRequest: { Item: next } });
        }
        local.scanned += page.ScannedCount ?? 0;
        done.scanned += page.ScannedCount ?? 0;
        stop?.throwIfAborted();
        ExclusiveStartKey = page.LastEvaluatedKey;
        let counted = 0;
        const onProgress = (written: number) => {
          local.written += written - counted;
          done.written += written - counted;
          counted = written;
          if (!claim) progress(local);
        };
        if (!claim) {
          local.retries += await batchWriteAll({ documentClient, tableName, budget }, puts, onProgress);
          continue;
        }
        local.retries += await fencedWriteAll({ documentClient, tableName, budget, claim }, puts, onProgress);
        const checkpoint = {
          migration: migration!,
          segment,
          totalSegments: segments,
          ...(ExclusiveStartKey ? { lastKey: ExclusiveStartKey } : {}),
          done: !ExclusiveStartKey,
          ...done,
          owner,
          updatedAt: new Date().toISOString(),
        };
        await fencedTransaction({ documentClient, claim }, [{ Update: checkpointUpdate(tableName, checkpoint) }]);
      } while (ExclusiveStartKey);
    } finally {
      if (budget) budgets.delete(budget);
    }
  };

  if (migration === undefined) {
    await Promise.all(Array.from({ length: segments }, (_, segment) => scanSegment(segment, undefined, undefined, signal)));
    progress(local, true);
    return { ...local, ms: Date.now() - started, resumedSegments: 0 };
  }

  if (options.fingerprint) {
    const job = { migration, totalSegments: segments, fingerprint: options.fingerprint, publishedBy: owner, publishedAt: new Date().toISOString() };
    await publishJob({ documentClient, tableName, fence: options.fence }, job);
  }
  const checkpoints = await workOnSegments(
    {
      documentClient,
      tableName,
      migration,
      segments,
      parallel: options.parallel ?? segments,
      leaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS,
      owner,
      log,
      signal,
      published: Boolean(options.fingerprint) || options.join === true,
      onPoll: (found) => progress(sum(found)),
    },
    ({ segment, from, claim, signal: stop }) => scanSegment(segment, from, claim, stop),
  );
  await deleteClaims(documentClient, tableName, migration, segments);
  const totals = sum(checkpoints);
  progress(totals, true);
  return { ...totals, retries: local.retries, ms: Date.now() - started, resumedSegments: plan.size };
}

const sum = (checkpoints: readonly Checkpoint[]) => ({
  scanned: checkpoints.reduce((n, c) => n + c.scanned, 0),
  written: checkpoints.reduce((n, c) => n + c.written, 0),
});

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
