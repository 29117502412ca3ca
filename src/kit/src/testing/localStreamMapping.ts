/**
 * Lambda's DynamoDB event source mapping, on this machine: reads DynamoDB
 * Local's own stream (DescribeStream, GetShardIterator, GetRecords) and
 * invokes a stream handler with the same semantics as a mapping on AWS
 * configured with the same settings:
 *
 * - batches of at most `batchSize` records, in stream order, per shard;
 * - `ReportBatchItemFailures`: the records before the lowest reported
 *   sequence number are done; the rest of the batch is delivered again;
 * - a thrown error (or an unknown reported id) fails the whole batch;
 * - `bisectBatchOnFunctionError`: a failed batch of several records is split
 *   in two and the first half delivered again (a split is not a retry);
 * - a batch of one that failed `maximumRetryAttempts` times after its first
 *   attempt, or whose first record is older than `maximumRecordAgeSeconds`,
 *   goes to the failure destination (`onFailure`, in the shape AWS sends
 *   to an SQS on-failure destination) and the mapping moves past it.
 */
import type { _Record, DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { LOCAL_REGION } from "../runtime/config";
import { ConfigError } from "../errors";

type Streams = typeof import("@aws-sdk/client-dynamodb-streams");

/** The Streams API client, an optional peer dependency: loaded when a mapping first reads, with how to add it when missing. */
async function streamsApi(): Promise<Streams> {
  try {
    return await import("@aws-sdk/client-dynamodb-streams");
  } catch {
    throw new ConfigError("localStreamMapping reads the stream with @aws-sdk/client-dynamodb-streams: npm install --save-dev @aws-sdk/client-dynamodb-streams");
  }
}

/** What AWS puts on an on-failure destination for a DynamoDB stream batch it gave up on. */
export interface StreamFailure {
  version: "1.0";
  timestamp: string;
  requestContext: { condition: "RetryAttemptsExhausted" | "RecordAgeExceeded"; approximateInvokeCount: number; functionArn: string };
  responseContext: { functionError?: string };
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface LocalStreamMappingOptions {
  endpoint: string;
  streamArn: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  /** The failure destination. */
  onFailure: (failure: StreamFailure) => void | Promise<void>;
  batchSize?: number;
  maximumRetryAttempts?: number;
  maximumRecordAgeSeconds?: number;
  bisectBatchOnFunctionError?: boolean;
  /** Where each shard was left (its last finished sequence number): kept across restarts when given. */
  position?: { get(shardId: string): string | undefined; set(shardId: string, sequenceNumber: string): void };
  /** Named in failure records. */
  functionArn?: string;
  log?: (line: string) => void;
}

export interface DrainResult {
  invocations: number;
  /** Records the handler finished (acknowledged), and records sent to the failure destination. */
  done: number;
  failed: number;
}

export interface LocalStreamMapping {
  /** Handles every record the stream holds now, then returns. */
  drain(): Promise<DrainResult>;
  /** Drains again every `intervalMs` until stop(). */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

interface ShardState {
  iterator: string | undefined;
  pending: _Record[];
  /** The current batch's size: smaller than batchSize after a bisect. */
  size: number;
  attempts: number;
}

export function localStreamMapping(options: LocalStreamMappingOptions): LocalStreamMapping {
  const { endpoint, streamArn, handler, onFailure, batchSize = 100, maximumRetryAttempts = 2, bisectBatchOnFunctionError = true } = options;
  const { maximumRecordAgeSeconds, position, functionArn = "local", log = () => {} } = options;
  let api: Streams | undefined;
  let streams: DynamoDBStreamsClient | undefined;
  const shards = new Map<string, ShardState>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function openShards(): Promise<void> {
    api ??= await streamsApi();
    streams ??= new api.DynamoDBStreamsClient({ region: LOCAL_REGION, endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const { DescribeStreamCommand, GetShardIteratorCommand } = api;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const ShardId = shard.ShardId!;
      if (shards.has(ShardId)) continue;
      const after = position?.get(ShardId);
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId,
          ...(after ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after } : { ShardIteratorType: "TRIM_HORIZON" }),
        }),
      );
      shards.set(ShardId, { iterator: ShardIterator, pending: [], size: batchSize, attempts: 0 });
    }
  }

  /** One invocation of `shard`'s next batch, with its outcome applied; false when the shard has nothing to deliver. */
  async function step(shardId: string, shard: ShardState, result: DrainResult): Promise<boolean> {
    if (shard.pending.length === 0) {
      if (!shard.iterator) return false;
      const page = await streams!.send(new api!.GetRecordsCommand({ ShardIterator: shard.iterator, Limit: batchSize }));
      shard.iterator = page.NextShardIterator;
      shard.pending = page.Records ?? [];
      if (shard.pending.length === 0) return false;
    }
    const batch = shard.pending.slice(0, shard.size);
    result.invocations++;
    let finished: number; // records of the batch that are done
    let error: string | undefined;
    try {
      const response = await handler({ Records: batch.map(toLambdaRecord(streamArn)) });
      const failedIds = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
      const indexes = failedIds.map((id) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === id));
      finished = failedIds.length === 0 ? batch.length : indexes.includes(-1) ? 0 : Math.min(...indexes);
      if (failedIds.length > 0) error = "ReportedBatchItemFailures";
    } catch (thrown) {
      finished = 0;
      error = thrown instanceof Error ? thrown.name : "Unhandled";
      log(`stream handler threw ${error} on a batch of ${batch.length}`);
    }
    acknowledge(shardId, shard, finished);
    result.done += finished;
    if (finished === batch.length) return true;

    const remaining = batch.length - finished;
    if (bisectBatchOnFunctionError && remaining > 1) {
      shard.size = Math.ceil(remaining / 2);
      return true;
    }
    shard.size = remaining;
    shard.attempts++;
    const first = shard.pending[0]!;
    const ageSeconds = (Date.now() - (first.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now())) / 1000;
    const tooOld = maximumRecordAgeSeconds !== undefined && ageSeconds > maximumRecordAgeSeconds;
    if (shard.attempts <= maximumRetryAttempts && !tooOld) return true;

    const failedBatch = shard.pending.slice(0, remaining);
    await onFailure(failureRecord(shardId, failedBatch, tooOld ? "RecordAgeExceeded" : "RetryAttemptsExhausted", shard.attempts, error));
    log(`sent ${failedBatch.length} record(s) of shard ${shardId} to the failure destination after ${shard.attempts} attempt(s)`);
    result.failed += failedBatch.length;
    acknowledge(shardId, shard, remaining);
    return true;
  }

  /** The first `count` pending records are behind the shard's checkpoint: the next batch starts after them, whole again. */
  function acknowledge(shardId: string, shard: ShardState, count: number): void {
    if (count === 0) return;
    const last = shard.pending[count - 1]!;
    shard.pending.splice(0, count);
    shard.size = batchSize;
    shard.attempts = 0;
    position?.set(shardId, last.dynamodb!.SequenceNumber!);
  }

  function failureRecord(shardId: string, records: _Record[], condition: StreamFailure["requestContext"]["condition"], attempts: number, error?: string) {
    const first = records[0]!.dynamodb!;
    const last = records[records.length - 1]!.dynamodb!;
    return {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: { condition, approximateInvokeCount: attempts, functionArn },
      responseContext: error ? { functionError: error } : {},
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber!,
        endSequenceNumber: last.SequenceNumber!,
        approximateArrivalOfFirstRecord: (first.ApproximateCreationDateTime ?? new Date()).toISOString(),
        approximateArrivalOfLastRecord: (last.ApproximateCreationDateTime ?? new Date()).toISOString(),
        batchSize: records.length,
        streamArn,
      },
    } satisfies StreamFailure;
  }

  async function drain(): Promise<DrainResult> {
    const result: DrainResult = { invocations: 0, done: 0, failed: 0 };
    await openShards();
    for (const [shardId, shard] of shards) {
      while (!stopped && (await step(shardId, shard, result)));
    }
    return result;
  }

  return {
    drain: () => (running = running.then(drain, drain)) as Promise<DrainResult>,
    start(intervalMs = 500) {
      const tick = () => {
        running = running
          .then(drain)
          .catch((error: unknown) => log(`stream mapping: ${error instanceof Error ? error.message : String(error)}; retrying`))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
      streams?.destroy();
    },
  };
}

/** A record of the Streams API as Lambda delivers it (dates as epoch seconds, the stream's ARN as its source). */
const toLambdaRecord =
  (streamArn: string) =>
  (record: _Record): DynamoDBRecord =>
    ({
      ...record,
      eventSourceARN: streamArn,
      dynamodb: {
        ...record.dynamodb,
        ApproximateCreationDateTime: Math.floor((record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000),
      },
    }) as DynamoDBRecord;
