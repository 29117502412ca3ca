/**
 * BatchWriteItem for any number of requests: chunks of 25 (DynamoDB's limit),
 * UnprocessedItems retried with exponential backoff and full jitter until
 * every request is written or the attempts run out.
 */
import { BatchWriteCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { UnprocessedItemsError } from "../errors";
import { backoffDelay, sleep } from "./backoff";
import { isThrottling, type WriteBudget } from "./writeBudget";

export const BATCH_WRITE_LIMIT = 25;

export type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

export interface BatchWriteOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Attempts per chunk, the first included, before giving up with an error. */
  maxAttempts?: number;
  /** Spends a token per write before each attempt, and hears about throttling (partial batches and throttling errors). */
  budget?: WriteBudget | undefined;
}

/** Writes one chunk of at most 25 requests; returns how many retries it needed. */
export async function writeChunk({ documentClient, tableName, maxAttempts = 10, budget }: BatchWriteOptions, chunk: WriteRequest[]): Promise<number> {
  let pending = chunk;
  for (let attempt = 0; ; attempt++) {
    await budget?.take(pending.length);
    try {
      const { UnprocessedItems } = await documentClient.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = UnprocessedItems?.[tableName] ?? [];
    } catch (error) {
      // Throttled even after the SDK's own retries: back off here too, as for unprocessed items.
      if (!isThrottling(error) || attempt + 1 >= maxAttempts) throw error;
    }
    if (pending.length === 0) return attempt;
    budget?.throttled();
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
