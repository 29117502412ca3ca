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
 *   did instead of timing out and being delivered again whole.
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

    for (const record of event.Records) {
      const change = toChange(record);
      if (String(change.keys[PARTITION_KEY] ?? "").startsWith(RESERVED_PARTITION_PREFIX)) continue;
      if (context?.getRemainingTimeInMillis && context.getRemainingTimeInMillis() < reserveMs) {
        console.warn(
          JSON.stringify({
            level: "warn",
            type: "stream-batch",
            message: "out of time: the rest of the batch is delivered again",
            sequenceNumber: change.sequenceNumber,
          }),
        );
        return { batchItemFailures: [{ itemIdentifier: change.sequenceNumber }] };
      }
      try {
        const actions = await writes(change, { tableName });
        if (actions.length === 0) continue;
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
        await applyOnce(() => documentClient.send(new TransactWriteCommand({ TransactItems: [...actions, marker] })), actions.length);
      } catch (error) {
        logFailure(change, error);
        return { batchItemFailures: [{ itemIdentifier: change.sequenceNumber }] };
      }
    }
    return { batchItemFailures: [] };
  };
}

/** Sends the transaction; a cancellation by the marker's condition alone means the record was handled before. */
async function applyOnce(send: () => Promise<unknown>, markerIndex: number): Promise<void> {
  try {
    await send();
  } catch (error) {
    const reasons = cancellationReasons(error);
    const handledBefore = reasons?.[markerIndex] === "ConditionalCheckFailed" && reasons.every((r, i) => i === markerIndex || r === "None");
    if (!handledBefore) throw error;
  }
}

export function toChange(record: DynamoDBRecord): StreamChange {
  const data = record.dynamodb ?? {};
  const plain = (image: unknown) => (image ? unmarshall(image as Record<string, AttributeValue>) : undefined);
  const before = plain(data.OldImage);
  const after = plain(data.NewImage);
  return {
    event: record.eventName as StreamChange["event"],
    keys: plain(data.Keys) ?? {},
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    eventId: String(record.eventID),
    sequenceNumber: String(data.SequenceNumber),
  };
}

/** One JSON line per refused record: its place in the stream and, as for the API's failures, what errorLog.ts allows of the error. */
function logFailure(change: StreamChange, error: unknown): void {
  console.error(JSON.stringify({ level: "error", type: "stream-record", sequenceNumber: change.sequenceNumber, event: change.event, ...errorFields(error) }));
}
