/**
 * Waiting without fixed sleeps: exponential backoff with full jitter for
 * retries, and a polling loop that reports progress on long waits.
 */
import { WaitTimeoutError } from "../errors";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `attempt` (0-based): random in [0, min(cap, base * 2^attempt)], "full jitter". */
export function backoffDelay(attempt: number, baseMs = 50, capMs = 5_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

export type PollResult<T> = { done: true; value: T } | { done: false; status: string };

export interface PollOptions {
  /** What is awaited, for progress lines and the timeout error ("table app-dev to become ACTIVE"). */
  what: string;
  timeoutMs?: number;
  /** First delay between checks; grows by 1.5x up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Receives a progress line at most every `progressEveryMs`. */
  log?: (message: string) => void;
  progressEveryMs?: number;
  /** Stops the wait (with the signal's reason) before each check. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls `check` until it reports done. The first check runs at once, so an
 * already-finished condition costs one call and no wait.
 */
export async function pollUntil<T>(check: () => Promise<PollResult<T>>, options: PollOptions): Promise<T> {
  const { what, timeoutMs = 15 * 60_000, initialDelayMs = 100, maxDelayMs = 5_000, log, progressEveryMs = 5_000, signal } = options;
  const started = Date.now();
  let delay = initialDelayMs;
  let lastProgress = started;
  for (;;) {
    signal?.throwIfAborted();
    const result = await check();
    if (result.done) return result.value;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      throw new WaitTimeoutError(what, elapsed, result.status);
    }
    if (log && Date.now() - lastProgress >= progressEveryMs) {
      log(`waiting for ${what}: ${result.status} (${Math.round(elapsed / 1000)} s)`);
      lastProgress = Date.now();
    }
    await sleep(Math.min(delay, timeoutMs - elapsed));
    delay = Math.min(maxDelayMs, delay * 1.5);
  }
}

export interface RetryOptions {
  /** Whether `error` is worth another attempt; anything else is thrown at once. */
  retryIf: (error: unknown) => boolean;
  /** Attempts in all, the first included. */
  attempts?: number;
  baseMs?: number;
  capMs?: number;
  /** Called before each wait, with the error and the 0-based attempt that failed. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Runs `work` until it succeeds, waiting with full-jitter backoff between attempts that fail with a retryable error. */
export async function retry<T>(work: () => Promise<T>, { retryIf, attempts = 10, baseMs = 100, capMs = 5_000, onRetry }: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!retryIf(error) || attempt + 1 >= attempts) throw error;
      onRetry?.(error, attempt);
      await sleep(backoffDelay(attempt, baseMs, capMs));
    }
  }
}
