/**
 * Rewrites items of the table in bulk, for data migrations: a parallel
 * segmented Scan feeds BatchWrite puts in chunks of 25, with UnprocessedItems
 * retried, and a progress line with counts and rate.
 *
 * Each rewritten item is put whole, as scanned: a write by someone else
 * between the scan and the put is lost. Run backfills in the pre-step, before
 * the code that writes those items changes, as the migrations here do.
 */
import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
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
}

export interface BackfillResult {
  scanned: number;
  written: number;
  retries: number;
  ms: number;
}

export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { documentClient, tableName, transform, filter, segments = 4, log = () => {}, progressEveryMs = 5_000, signal } = options;
  const started = Date.now();
  const totals = { scanned: 0, written: 0, retries: 0 };
  let lastProgress = started;
  const progress = (final = false) => {
    if (!final && Date.now() - lastProgress < progressEveryMs) return;
    lastProgress = Date.now();
    const seconds = (Date.now() - started) / 1000;
    log(
      `backfill ${tableName}: scanned ${totals.scanned}, written ${totals.written} (${Math.round(totals.written / Math.max(seconds, 0.001))} items/s)${final ? ", done" : ""}`,
    );
  };

  const runSegment = async (segment: number) => {
    let ExclusiveStartKey: Item | undefined;
    const buffer: WriteRequest[] = [];
    /** Writes the full chunks buffered so far, or everything when `all`. */
    const flush = async (all: boolean) => {
      const ready = all ? buffer.length : buffer.length - (buffer.length % BATCH_WRITE_LIMIT);
      const chunks = buffer.splice(0, ready);
      let counted = 0;
      totals.retries += await batchWriteAll({ documentClient, tableName }, chunks, (written) => {
        totals.written += written - counted;
        counted = written;
        progress();
      });
    };
    do {
      signal?.throwIfAborted();
      const page = await documentClient.send(
        new ScanCommand({ TableName: tableName, Segment: segment, TotalSegments: segments, ExclusiveStartKey, ...filter }),
      );
      for (const item of page.Items ?? []) {
        const next = transform(item);
        if (next) buffer.push({ PutRequest: { Item: next } });
      }
      totals.scanned += page.ScannedCount ?? 0;
      signal?.throwIfAborted();
      await flush(false);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    signal?.throwIfAborted();
    await flush(true);
  };

  await Promise.all(Array.from({ length: segments }, (_, segment) => runSegment(segment)));
  progress(true);
  return { ...totals, ms: Date.now() - started };
}
