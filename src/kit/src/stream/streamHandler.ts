/**
 * A consumer of the table's stream, for a Lambda event source mapping with
 * `ReportBatchItemFailures`. The app writes one function: the writes a
 * change makes. The kit does the rest:
 *
 * - unmarshalls each record into plain keys and before/after images;
 * - skips the kit's own bookkeeping (partitions starting with "_": the
 *   migrations, and the markers below);
 * - applies a record's writes in one transaction with a marker item
 *   (`_stream#<consumer>`, the record's event id, expiring by TTL) that must
 *   not exist yet: a record delivered again (a retried batch, a redelivered
 *   one) finds its marker and changes nothing, so its effect happens once;
 * - handles the records in order and stops at the first that fails,
 *   reporting its sequence number: Lambda checkpoints before it and delivers
 *   it again with everything after it, so no record is handled out of order
 *   with one that failed before it;
 * - stops the same way before a record when the invocation has less than
 *   `reserveMs` left, so that a batch too slow for the timeout keeps what it
 *   did instead of timing out and being delivered again whole;
 * - handles each record as an invocation of telemetry.ts with the
 *   correlation id of the request that made the change (the item's `_cid`,
 *   when this change wrote it; the record's event id otherwise), which its
 *   line, and the writes it makes, carry; the batch ends with one line that
 *   is its metrics (records, failures, iterator age).
 *
 * Why not Powertools' batch and idempotency utilities: their idempotency
 * record is written before and after the effect, not with it, so a crash
 * between the effect and the "completed" record repeats the effect once the
 * in-progress record expires; and the batch processor carries on past a
 * failed record, so later ones are handled before it. Here the marker and
 * the effect are one transaction.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { connect } from "../runtime/connect";
import type { Migration } from "../migrations/migration";
import { cancellationReasons, ConfigError } from "../errors";
import { errorFields } from "../errorLog";
import { PARTITION_KEY, SORT_KEY } from "../table/keySchema";
import { CORRELATION_ATTRIBUTE } from "../runtime/requestMeter";
import { emit, invocation, log, metricLine, serviceName } from "../runtime/telemetry";

/** Partitions whose name starts with this are the kit's own (migrations, stream markers): never handed to the app. */
export const RESERVED_PARTITION_PREFIX = "_";
/** The partition of a consumer's markers: `_stream#<consumer>`, one item per handled record. */
export const streamMarkerPartition = (consumer: string) => `_stream#${consumer}`;

/** One record of the stream, unmarshalled. */
export interface StreamChange {
  event: "INSERT" | "MODIFY" | "REMOVE";
  keys: Record<string, unknown>;
  /** The item before the change (MODIFY, REMOVE), with a NEW_AND_OLD_IMAGES or OLD_IMAGE stream. */
  before?: Record<string, unknown>;
  /** The item after the change (INSERT, MODIFY), with a NEW_AND_OLD_IMAGES or NEW_IMAGE stream. */
  after?: Record<string, unknown>;
  eventId: string;
  sequenceNumber: string;
  /** The correlation id of the invocation (a request, say) whose write made this change, when it was one the kit tagged. */
  correlationId?: string;
  /** When the change reached the stream (ms since the epoch), when the record says. */
  createdAtMs?: number;
}

/** One action of a TransactWriteItems, in the DocumentClient's form (`{ Update: { TableName, Key, ... } }`). */
export type StreamWrite = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

export interface StreamHandlerDefinition {
  /** The app's migration index: connect() checks it once per cold start, as the API's handler does. */
  migrations: readonly Migration[];
  /**
   * The writes `change` makes, [] when it does not matter. They are applied in one transaction with the record's
   * marker: all once, or none. Throw to refuse the record: it is retried, then goes to the failure destination.
   */
  writes(change: StreamChange, table: { tableName: string }): readonly StreamWrite[] | Promise<readonly StreamWrite[]>;
  /** The markers' name; defaults to the function's name (AWS_LAMBDA_FUNCTION_NAME). Two consumers never share one. */
  consumer?: string;
  /** How long a handled record is remembered, in seconds: longer than the stream keeps records (24 h). Default 2 days. */
  rememberSeconds?: number;
  /** The table's TTL attribute, which expires the markers. Default "expiresAt". */
  ttlAttribute?: string;
  /** Stop before a record with less than this left of the invocation (ms). Default 2,000. */
  reserveMs?: number;
}

export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context?: Pick<Context, "functionName"> & Partial<Pick<Context, "getRemainingTimeInMillis">>,
) => Promise<DynamoDBBatchResponse>;

/** TransactWriteItems takes 100 actions; the marker is one. */
const MAX_WRITES = 99;
const DEFAULT_REMEMBER_SECONDS = 2 * 24 * 3600;

export function createStreamHandler(definition: StreamHandlerDefinition): StreamHandler {
  const { migrations, writes, rememberSeconds = DEFAULT_REMEMBER_SECONDS, ttlAttribute = "expiresAt", reserveMs = 2_000 } = definition;
  return async (event, context) => {
    const consumer = definition.consumer ?? context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME;
    if (!consumer) throw new ConfigError("the stream handler needs a consumer name: pass `consumer`, or run it as a Lambda function");
    const { documentClient, tableName } = await connect({ migrations });
    let failures = 0;

    /** Handles one record; a sequence number means stop there (it and everything after it are delivered again). */
    const handle = async (change: StreamChange): Promise<string | undefined> => {
      const started = performance.now();
      const line = (outcome: string) => ({
        type: "stream-record",
        event: change.event,
        sequenceNumber: change.sequenceNumber,
        outcome,
        durationMs: elapsed(started),
      });
      if (context?.getRemainingTimeInMillis && context.getRemainingTimeInMillis() < reserveMs) {
        log.warn("out of time: the rest of the batch is delivered again", line("deferred"));
        return change.sequenceNumber;
      }
      try {
        const actions = await writes(change, { tableName });
        if (actions.length === 0) return void log.info("stream record", line("nothing to write"));
        if (actions.length > MAX_WRITES)
          throw new ConfigError(`a stream record may make at most ${MAX_WRITES} writes (one transaction); got ${actions.length}`);
        const marker = {
          Put: {
            TableName: tableName,
            Item: {
              [PARTITION_KEY]: streamMarkerPartition(consumer),
              [SORT_KEY]: change.eventId,
              sequenceNumber: change.sequenceNumber,
              [ttlAttribute]: Math.floor(Date.now() / 1000) + rememberSeconds,
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": PARTITION_KEY },
          },
        };
        const first = await applyOnce(() => documentClient.send(new TransactWriteCommand({ TransactItems: [...actions, marker] })), actions.length);
        log.info("stream record", line(first ? "applied" : "handled before"));
      } catch (error) {
        failures++;
        log.error("stream record failed", { ...line("failed"), ...errorFields(error) });
        return change.sequenceNumber;
      }
      return undefined;
    };

    let stoppedAt: string | undefined;
    let last: StreamChange | undefined;
    const units = { readUnits: 0, writeUnits: 0 };
    for (const record of event.Records) {
      const change = toChange(record);
      last = change;
      if (String(change.keys[PARTITION_KEY] ?? "").startsWith(RESERVED_PARTITION_PREFIX)) continue;
      const id = change.correlationId ?? `stream:${change.eventId}`;
      stoppedAt = await invocation(
        id,
        (inv) =>
          handle(change).finally(() => {
            units.readUnits += inv.readUnits;
            units.writeUnits += inv.writeUnits;
          }),
        (stop) => stop !== undefined,
      );
      if (stoppedAt) break;
    }
    const iteratorAge = last?.createdAtMs === undefined ? {} : { IteratorAge: Math.max(0, Date.now() - last.createdAtMs) };
    // Under the function's name, as the dashboard names it (a consumer name of the app's own may differ).
    const fn = context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? consumer;
    emit(
      metricLine(
        "stream-batch",
        { Service: serviceName(), Function: fn },
        { Records: event.Records.length, RecordFailures: failures, ...iteratorAge },
        {},
        units,
      ),
    );
    return { batchItemFailures: stoppedAt ? [{ itemIdentifier: stoppedAt }] : [] };
  };
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;

/** Sends the transaction: true, or false when a cancellation by the marker's condition alone says the record was handled before. */
async function applyOnce(send: () => Promise<unknown>, markerIndex: number): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    const reasons = cancellationReasons(error);
    const handledBefore = reasons?.[markerIndex] === "ConditionalCheckFailed" && reasons.every((r, i) => i === markerIndex || r === "None");
    if (!handledBefore) throw error;
    return false;
  }
}

export function toChange(record: DynamoDBRecord): StreamChange {
  const data = record.dynamodb ?? {};
  const plain = (image: unknown) => (image ? unmarshall(image as Record<string, AttributeValue>) : undefined);
  const before = plain(data.OldImage);
  const after = plain(data.NewImage);
  const [was, is] = [before?.[CORRELATION_ATTRIBUTE], after?.[CORRELATION_ATTRIBUTE]];
  // The tag names this change's request only if this change wrote it: a write that did not tag leaves the last one.
  const correlationId = typeof is === "string" && is !== was ? is.slice(0, Math.max(0, is.lastIndexOf("#"))) || undefined : undefined;
  if (before) delete before[CORRELATION_ATTRIBUTE];
  if (after) delete after[CORRELATION_ATTRIBUTE];
  return {
    event: record.eventName as StreamChange["event"],
    keys: plain(data.Keys) ?? {},
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    eventId: String(record.eventID),
    sequenceNumber: String(data.SequenceNumber),
    ...(correlationId ? { correlationId } : {}),
    ...(data.ApproximateCreationDateTime ? { createdAtMs: data.ApproximateCreationDateTime * 1000 } : {}),
  };
}
