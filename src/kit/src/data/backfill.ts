/**
 * Rewrites items of a live table in bulk, for data migrations: a parallel
 * segmented Scan in this process, each item rewritten on its own with a
 * conditional UpdateItem of only what the transform changed
 * (itemRewrite.ts), so that the previous code can keep writing the same
 * items meanwhile and none of its writes is lost.
 *
 * Given the migration's context (`context.backfill(...)`, or a declared
 * `backfill`), every segment checkpoints after each page
 * (backfillCheckpoints.ts), and a re-run resumes each segment from there: an
 * interruption redoes at most one page per segment. A write budget shares the
 * table with live traffic and halves while DynamoDB throttles; progress lines
 * give counts, rate and an ETA.
 */
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConfigError } from "../errors";
import { MIGRATIONS_PARTITION, PARTITION_KEY } from "../table/keySchema";
import { writeBudget, type WriteBudget } from "./writeBudget";
import { MAX_BACKFILL_SEGMENTS, resumePlan, saveCheckpoint, type Checkpoint, type Fence } from "./backfillCheckpoints";
import { rewriteItem, type Filter, type Item, type Outcome, type Transform } from "./itemRewrite";

/** What a backfill does: a migration's `backfill` declares this. */
export interface BackfillSpec {
  /**
   * The new version of an item, or undefined to leave it alone. It must not
   * change the key, and must give the same result for an item it already
   * rewrote (a resumed run meets up to a page of those). What it reads is
   * what the write is conditioned on.
   */
  transform: Transform;
  /** Narrows the scan (evaluated by DynamoDB, so it saves writes, not reads), and must still hold when an item is written. */
  filter?: Filter;
  /** Parallel Scan segments. Fixed once a checkpointed backfill has started. */
  segments?: number;
  /** Items per Scan page (DynamoDB's 1 MB page applies regardless): the most a resumed segment can redo. */
  pageSize?: number;
  /**
   * A ceiling on writes per second for the whole backfill, so that it does
   * not starve the live traffic of the table it rewrites. Each segment gets
   * an equal share, and halves it while DynamoDB throttles.
   */
  maxWritesPerSecond?: number;
  /**
   * Where a deploy runs it: "in-process" (the pre-step's own process), "distributed" (the Step Functions engine, a
   * worker per segment), or by default chosen by the table's size (the deployment's threshold).
   */
  engine?: "in-process" | "distributed";
}

export interface BackfillOptions extends BackfillSpec {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  log?: (message: string) => void;
  progressEveryMs?: number;
  /** The migration lock's signal: no item is written once it is aborted (the lock was lost). */
  signal?: AbortSignal;
  /** The running migration's name (from its context): checkpoints are kept under it, and a re-run resumes from them. */
  migration?: string | undefined;
  /** The migration lock's fence (from the migration's context): a checkpoint is saved only while the lock is ours. */
  fence?: Fence | undefined;
  /** This process, in checkpoints, for `migrationStatus` readers. */
  owner?: string;
  /** For the ETA in progress lines: DescribeTable's ItemCount (an estimate AWS refreshes about every six hours). */
  client?: DynamoDBClient;
  /** Segments scanned at once (default: all of them). */
  parallel?: number;
  /** UpdateItem requests in flight per segment (default 8): DynamoDB serves requests on different items in parallel. */
  writesInFlight?: number;
  /** Only these segments of the `segments` (a distributed worker runs one); all of them by default. */
  segmentsToRun?: readonly number[];
  /** Starts no page after this time (epoch ms): a worker returns before its timeout, its checkpoints saying where it was. */
  until?: number;
}

export interface BackfillResult {
  /** Items scanned, and items written, resumed runs included (from the checkpoints) when checkpointed. */
  scanned: number;
  written: number;
  /** Items deleted, or moved out of the filter's reach, by someone else between the scan and the write: left as they are. */
  gone: number;
  /** Writes sent again because the item changed meanwhile, or DynamoDB throttled. */
  retries: number;
  /** Write capacity units DynamoDB reported for this run's writes. */
  writeUnits: number;
  ms: number;
  /** Segments that started from a checkpoint (or were already done) instead of from the start. */
  resumedSegments: number;
  /** Whether every segment run is done: false when `until` came first. */
  complete: boolean;
}

type Counts = Pick<BackfillResult, "scanned" | "written" | "gone" | "retries" | "writeUnits">;
type Progress = ReturnType<typeof progressLine>;

export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { documentClient, tableName, segments = 4, migration, signal } = options;
  if (!Number.isInteger(segments) || segments < 1 || segments > MAX_BACKFILL_SEGMENTS) {
    throw new ConfigError(`a backfill takes 1 to ${MAX_BACKFILL_SEGMENTS} segments, not ${segments}`);
  }
  const plan = migration ? await resumePlan(documentClient, tableName, migration, segments) : new Map<number, Checkpoint>();
  if (plan.size > 0) options.log?.(`backfill ${tableName}: resuming "${migration}" from ${plan.size} checkpoint(s)`);
  const estimate = options.client ? await itemCount(options.client, tableName) : undefined;
  const started = Date.now();
  const resumed = [...plan.values()];
  const counts: Counts = {
    scanned: resumed.reduce((n, c) => n + c.scanned, 0),
    written: resumed.reduce((n, c) => n + c.written, 0),
    gone: 0,
    retries: 0,
    writeUnits: 0,
  };
  const progress = progressLine(options, counts, estimate);

  // The first failing segment stops the others at their next item.
  const stop = new AbortController();
  const within = { ...options, signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal };
  const wanted = options.segmentsToRun ?? Array.from({ length: segments }, (_, s) => s);
  const outside = wanted.filter((s) => !Number.isInteger(s) || s < 0 || s >= segments);
  if (outside.length) throw new ConfigError(`segment ${outside.join(", ")} is not one of the backfill's ${segments} (0 to ${segments - 1})`);
  const todo = wanted.filter((s) => !plan.get(s)?.done);
  let complete = true;
  await inParallel(todo, options.parallel ?? segments, (segment) =>
    scanSegment(within, segment, plan.get(segment), counts, progress)
      .then((done) => void (complete &&= done))
      .catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
  );
  progress(true);
  return { ...counts, ms: Date.now() - started, resumedSegments: plan.size, complete };
}

/**
 * Scans one segment from its checkpoint page by page, rewrites each item,
 * and saves a checkpoint once a whole page is on the table. Resolves whether
 * the segment is done (false when `until` came before its last page).
 */
async function scanSegment(options: BackfillOptions, segment: number, from: Checkpoint | undefined, counts: Counts, progress: Progress): Promise<boolean> {
  const { documentClient, tableName, segments = 4, pageSize, filter, migration, signal, maxWritesPerSecond } = options;
  const budget = maxWritesPerSecond ? writeBudget(maxWritesPerSecond / segments) : undefined;
  progress.budgets.add(budget);
  const mine = { scanned: from?.scanned ?? 0, written: from?.written ?? 0 };
  let ExclusiveStartKey: Item | undefined = from?.lastKey;
  try {
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
      // The migrations partition holds the lock, records and checkpoints: never a backfill's to rewrite.
      const items = (page.Items ?? []).filter((item) => item[PARTITION_KEY] !== MIGRATIONS_PARTITION);
      counts.scanned += page.ScannedCount ?? 0;
      mine.scanned += page.ScannedCount ?? 0;
      await inParallel(items, options.writesInFlight ?? 8, async (item) => {
        const result = await rewriteItem({ ...options, budget }, item);
        tally(counts, result.outcome, result);
        if (result.outcome === "written") mine.written++;
      });
      ExclusiveStartKey = page.LastEvaluatedKey;
      if (migration) {
        const at = ExclusiveStartKey ? { lastKey: ExclusiveStartKey } : {};
        const checkpoint = { migration, segment, totalSegments: segments, ...at, done: !ExclusiveStartKey, ...mine, owner: options.owner ?? "unknown" };
        await saveCheckpoint({ documentClient, tableName, fence: options.fence }, { ...checkpoint, updatedAt: new Date().toISOString() });
      }
      progress();
    } while (ExclusiveStartKey && !(options.until !== undefined && Date.now() >= options.until));
    return ExclusiveStartKey === undefined;
  } finally {
    progress.budgets.delete(budget);
  }
}

function tally(counts: Counts, outcome: Outcome, { retries, writeUnits }: { retries: number; writeUnits: number }) {
  counts.retries += retries;
  counts.writeUnits += writeUnits;
  if (outcome === "written") counts.written++;
  if (outcome === "gone" || outcome === "skipped") counts.gone++;
}

/** Runs `work` on every element, at most `limit` at once; the first failure stops the others from starting more and is thrown. */
async function inParallel<T>(elements: readonly T[], limit: number, work: (element: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const runner = async () => {
    while (!failed && next < elements.length) {
      const element = elements[next++]!;
      await work(element).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, elements.length)) }, runner));
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
}

/** One line per interval, not per page: counts, rate, the budget in force, and an ETA when the table's size is known. */
function progressLine(options: BackfillOptions, counts: Counts, estimate: number | undefined) {
  const { tableName, log = () => {}, progressEveryMs = 5_000, maxWritesPerSecond } = options;
  const started = Date.now();
  const baseline = { scanned: counts.scanned, written: counts.written };
  const budgets = new Set<WriteBudget | undefined>();
  let last = started;
  const line = (final = false) => {
    if (!final && Date.now() - last < progressEveryMs) return;
    last = Date.now();
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = (counts.written - baseline.written) / seconds;
    const scanRate = (counts.scanned - baseline.scanned) / seconds;
    const live = [...budgets].filter((b) => b !== undefined);
    const budget = maxWritesPerSecond && live.length > 0 ? `, budget ${Math.round(live.reduce((n, b) => n + b.rate(), 0))} writes/s` : "";
    const eta =
      !final && estimate && scanRate > 0
        ? `, scanned ~${Math.min(99, Math.round((counts.scanned / estimate) * 100))}% of ~${estimate}, ETA ${duration(Math.max(0, estimate - counts.scanned) / scanRate)}`
        : "";
    const gone = counts.gone ? `, ${counts.gone} changed out of reach meanwhile` : "";
    log(
      `backfill ${tableName}: scanned ${counts.scanned}, written ${counts.written} (${Math.round(rate)} items/s)${gone}${budget}${eta}${final ? ", done" : ""}`,
    );
  };
  return Object.assign(line, { budgets });
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
