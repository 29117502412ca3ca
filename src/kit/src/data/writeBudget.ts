/**
 * A write budget for work that shares the table with live traffic: a token
 * bucket (writes per second, with a burst of at most a quarter second's
 * worth) that halves its rate when DynamoDB throttles and climbs back by a
 * tenth of its ceiling per throttle-free second (additive increase,
 * multiplicative decrease). Each backfill segment gets an equal share of
 * the budget, so however segments are spread over processes, the table sees
 * at most the whole budget.
 */
import { sleep } from "./backoff";

export interface WriteBudget {
  /** Waits until `n` writes may go out. */
  take(n: number): Promise<void>;
  /** DynamoDB throttled us: slow down. */
  throttled(): void;
  /** The current rate, writes per second. */
  rate(): number;
  /** The most writes that may go out at once: a request larger than this would overshoot the rate within a second. */
  burst(): number;
}

/** DynamoDB's throttling errors, whatever the operation. */
export const isThrottling = (error: unknown) =>
  error instanceof Error && ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"].includes(error.name);

export function writeBudget(ceiling: number, now: () => number = () => performance.now()): WriteBudget {
  if (!(ceiling > 0)) throw new RangeError(`a write budget needs a positive rate, not ${ceiling}`);
  const floor = ceiling / 20;
  let rate = ceiling;
  const capacity = () => Math.max(1, rate / 4);
  let tokens = capacity();
  let refilledAt = now();
  let calmSince = now();

  const refill = () => {
    const t = now();
    // Additive increase: a tenth of the ceiling per second without throttling.
    if (rate < ceiling && t - calmSince >= 1_000) {
      rate = Math.min(ceiling, rate + (ceiling / 10) * Math.floor((t - calmSince) / 1_000));
      calmSince = t;
    }
    tokens = Math.min(capacity(), tokens + ((t - refilledAt) / 1_000) * rate);
    refilledAt = t;
  };

  return {
    async take(n) {
      // A request larger than the bucket waits for its whole cost, then goes, leaving the bucket in debt.
      for (;;) {
        refill();
        if (tokens >= Math.min(n, capacity())) {
          tokens -= n;
          return;
        }
        await sleep(Math.max(1, ((Math.min(n, capacity()) - tokens) / rate) * 1_000));
      }
    },
    throttled() {
      refill();
      rate = Math.max(floor, rate / 2);
      calmSince = now();
    },
    rate: () => rate,
    burst: () => capacity(),
  };
}
