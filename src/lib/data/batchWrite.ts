/**
 * BatchWriteItem for any number of requests: chunks of 25 (DynamoDB's limit),
 * UnprocessedItems retried with exponential backoff and full jitter until
 * every request is written or the attempts run out.
 */
import { BatchWriteCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { UnprocessedItemsError } from "../errors";
import { backoffDelay, sleep } from "./backoff";

export const BATCH_WRITE_LIMIT = 25;

export type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

export interface BatchWriteOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Attempts per chunk, the first included, before giving up with an error. */
  maxAttempts?: number;
}

/** Writes one chunk of at most 25 requests; returns how many retries it needed. */
export async function writeChunk({ documentClient, tableName, maxAttempts = 10 }: BatchWriteOptions, chunk: WriteRequest[]): Promise<number> {
  let pending = chunk;
  for (let attempt = 0; ; attempt++) {
    const { UnprocessedItems } = await documentClient.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    pending = UnprocessedItems?.[tableName] ?? [];
    if (pending.length === 0) return attempt;
    if (attempt + 1 >= maxAttempts) throw new UnprocessedItemsError(pending.length, maxAttempts);
    await sleep(backoffDelay(attempt, 50, 5_000));
  }
}

/**
 * Writes every request, chunk by chunk, in order. Returns the number of
 * retries needed. `onProgress` hears after each chunk how many are written.
 */
export async function batchWriteAll(
  options: BatchWriteOptions,
  requests: readonly WriteRequest[],
  onProgress?: (written: number, total: number) => void,
): Promise<number> {
  let retries = 0;
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
    const chunk = requests.slice(i, i + BATCH_WRITE_LIMIT);
    retries += await writeChunk(options, chunk);
    onProgress?.(i + chunk.length, requests.length);
  }
  return retries;
}
