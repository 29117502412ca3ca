/**
 * Cross-process lease lock for migrations that never trusts clocks to agree
 * across machines. The design is that of awslabs' amazon-dynamodb-lock-client
 * ("How we handle clock skew"):
 *
 * - The lock is one item in the migrations partition, created with a
 *   conditional put when absent. It carries the owner, the lease length and
 *   a record version number (`rvn`) that the holder changes on every
 *   heartbeat (every third of the lease).
 * - A waiter never compares times written by another machine. It takes the
 *   lock over only after it has seen the *same* rvn for a whole lease,
 *   timed on its own monotonic clock (`performance.now()`), and then only
 *   with a put conditioned on that rvn.
 * - The holder's writes that matter are fenced: `fenced()` hands out a
 *   condition (owner and current rvn) for a TransactWriteItems, and runs
 *   between heartbeats so the rvn cannot move under it.
 * - A holder that loses its lease (a heartbeat finds another owner, or no
 *   heartbeat succeeded for a whole lease on its own clock) aborts `signal`.
 *
 * Absolute times (`acquiredAt`, `heartbeatAt`) stay in the item for people
 * to read, never for decisions.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { backoffDelay, sleep } from "../data/backoff";
import { MigrationLockLostError, MigrationLockTimeoutError, isConditionalCheckFailed } from "../errors";
import { PARTITION_KEY } from "../table/keySchema";
import { heldLease, monotonic, versionWatch, type Clock } from "./lease";
import { partitionKeys } from "./migrationsPartition";

export interface MigrationLockOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Identifies the holder in messages; unique per lock object by default. */
  owner?: string;
  /** Lease length. The holder heartbeats every third of it; a dead holder blocks others for about this long. */
  leaseMs?: number;
  /** How long `acquire` waits for a busy lock before `MigrationLockTimeoutError`. */
  waitTimeoutMs?: number;
  log?: (message: string) => void;
  /** This process's monotonic clock (performance.now by default): every decision is timed on it alone. */
  clock?: Clock;
}

/** What the lock item says, for people: times are the holder's own clock. */
export interface LockHolder {
  owner: string;
  rvn: string;
  leaseMs: number;
  acquiredAt: string;
  heartbeatAt: string;
}

/** A ConditionCheck that passes only while the lock is ours at the version we hold: a fence for a TransactWriteItems. */
export interface LockCondition {
  TableName: string;
  Key: Record<string, string>;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, string>;
}

export interface MigrationLock {
  readonly owner: string;
  /** Aborted once the lease is lost; hand it to long work so that it stops. */
  readonly signal: AbortSignal;
  /**
   * Takes the lock, waiting while another owner heartbeats. Between attempts
   * it asks `giveUpWhen`; a true answer (say, "nothing is pending any
   * more") returns false without taking the lock.
   */
  acquire(options?: { giveUpWhen?: () => Promise<boolean> }): Promise<boolean>;
  /** Throws `MigrationLockLostError` unless the lease is still ours by our own clock. */
  assertHeld(): void;
  /** Runs `write` with the condition that fences it, never while a heartbeat moves the version. */
  fenced<T>(write: (condition: LockCondition) => Promise<T>): Promise<T>;
  /** Stops heartbeating and deletes the lock item if it is still ours at our version; never someone else's. */
  release(): Promise<void>;
  /** The current holder, if any, read consistently. */
  holder(): Promise<LockHolder | undefined>;
  /** Deletes the lock whoever holds it: for an operator who knows the holder is dead. */
  forceRelease(): Promise<void>;
}

export function migrationLock(options: MigrationLockOptions): MigrationLock {
  const { documentClient, tableName, leaseMs = 60_000, waitTimeoutMs = 15 * 60_000, log = () => {}, clock = monotonic } = options;
  const label = "migration lock";
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const Key = partitionKeys.lock();
  const now = () => new Date().toISOString(); // for display only
  const lease = heldLease(leaseMs, clock);
  const watch = versionWatch(clock);
  const ours = (rvn: string) => ({
    ConditionExpression: "#owner = :owner AND #rvn = :rvn",
    ExpressionAttributeNames: { "#owner": "owner", "#rvn": "rvn" },
    ExpressionAttributeValues: { ":owner": owner, ":rvn": rvn },
  });

  let heartbeat: NodeJS.Timeout | undefined;
  let controller = new AbortController();
  // Heartbeats and fenced writes take turns, so a fence never carries a version a heartbeat is replacing.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = turn.then(work, work);
    turn = result.catch(() => {});
    return result;
  };

  const lose = (why: string) => {
    if (controller.signal.aborted) return;
    lease.lose(why);
    clearInterval(heartbeat);
    heartbeat = undefined;
    log(`${label}: lost (${why})`);
    controller.abort(new MigrationLockLostError(tableName, owner));
  };

  /** Replaces the version we hold, conditioned on still holding it; loses the lease when another process has it. */
  async function beat(): Promise<void> {
    if (lease.state.kind === "released" || controller.signal.aborted) return;
    const held = lease.current();
    if (!held) return lose("no heartbeat succeeded for a whole lease");
    const next = randomUUID();
    const sent = clock();
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key,
          UpdateExpression: "SET #rvn = :next, #heartbeatAt = :at",
          ...ours(held.rvn),
          ExpressionAttributeNames: { ...ours(held.rvn).ExpressionAttributeNames, "#heartbeatAt": "heartbeatAt" },
          ExpressionAttributeValues: { ...ours(held.rvn).ExpressionAttributeValues, ":next": next, ":at": now() },
        }),
      );
      lease.renewed(next, sent);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return lose("another process holds it now");
      // A network error is retried on the next beat; the lease's own expiry stops us if none succeeds in time.
      log(`${label}: heartbeat failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A conditional put of a fresh lock item: when absent, or (takeover) when still at the version we watched go stale. */
  async function put(staleRvn: string | undefined): Promise<boolean> {
    const next = randomUUID();
    const sent = clock();
    try {
      await documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...Key, owner, rvn: next, leaseMs, acquiredAt: now(), heartbeatAt: now() },
          ConditionExpression: staleRvn === undefined ? "attribute_not_exists(#pk)" : "#rvn = :stale",
          ExpressionAttributeNames: staleRvn === undefined ? { "#pk": PARTITION_KEY } : { "#rvn": "rvn" },
          ...(staleRvn === undefined ? {} : { ExpressionAttributeValues: { ":stale": staleRvn } }),
        }),
      );
      lease.renewed(next, sent);
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** The version we hold, or the lost-lease error (and the signal aborted) when it no longer counts by our clock. */
  function assertHeld(): { rvn: string } {
    if (controller.signal.aborted) throw controller.signal.reason;
    const held = lease.current();
    if (held) return held;
    lose("no heartbeat succeeded for a whole lease");
    throw controller.signal.reason;
  }

  /** The lease the holder promised to heartbeat within, as its item says. */
  const leaseOf = (current: LockHolder) => (current.leaseMs > 0 ? current.leaseMs : leaseMs);

  async function holder(): Promise<LockHolder | undefined> {
    const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
    if (!Item) return undefined;
    return {
      owner: String(Item.owner),
      rvn: String(Item.rvn),
      leaseMs: Number(Item.leaseMs),
      acquiredAt: String(Item.acquiredAt),
      heartbeatAt: String(Item.heartbeatAt ?? Item.acquiredAt),
    };
  }

  /** One attempt: takes the lock if it is free, or if the holder's version stood still for a whole lease on our clock. */
  async function tryAcquire(current: LockHolder | undefined): Promise<boolean> {
    const stale = current !== undefined && watch.isStale(current.rvn, leaseOf(current));
    if ((current && !stale) || !(await put(current?.rvn))) return false;
    if (stale) log(`${label}: took over from ${current.owner}, whose version did not change for a whole lease`);
    watch.forget();
    controller = new AbortController();
    heartbeat = setInterval(() => void inTurn(beat), Math.max(50, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    return true;
  }

  return {
    owner,
    get signal() {
      return controller.signal;
    },

    async acquire({ giveUpWhen } = {}) {
      const started = clock();
      let lastReport = -Infinity;
      for (let attempt = 0; ; attempt++) {
        const current = await holder();
        if (await tryAcquire(current)) return true;
        if (giveUpWhen && (await giveUpWhen())) return false;
        if (clock() - started >= waitTimeoutMs) throw new MigrationLockTimeoutError(tableName, current?.owner ?? "unknown", current?.leaseMs ?? leaseMs);
        if (current && clock() - lastReport >= 5_000) {
          log(`waiting for the ${label} held by ${current.owner} (last heartbeat ${current.heartbeatAt} by its clock)`);
          lastReport = clock();
        }
        // Never sleep past the moment the watched version would count as stale.
        const untilStale = current ? (watch.msUntilStale(leaseOf(current)) ?? 0) + 10 : 10;
        await sleep(Math.min(backoffDelay(attempt, 100, 2_000) + 10, Math.max(10, untilStale)));
      }
    },

    assertHeld: () => void assertHeld(),

    fenced(write) {
      return inTurn(async () => write({ TableName: tableName, Key, ...ours(assertHeld().rvn) }));
    },

    async release() {
      clearInterval(heartbeat);
      heartbeat = undefined;
      await inTurn(async () => {
        const held = lease.state;
        lease.release();
        if (held.kind !== "held" || controller.signal.aborted) return;
        try {
          await documentClient.send(new DeleteCommand({ TableName: tableName, Key, ...ours(held.rvn) }));
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          log(`${label}: not released because ${owner} no longer holds it`);
        }
      });
    },

    holder,

    async forceRelease() {
      await documentClient.send(new DeleteCommand({ TableName: tableName, Key }));
    },
  };
}
