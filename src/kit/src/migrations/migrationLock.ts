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

/** The lock item's reads and conditional writes, with no state of their own. */
function lockItem(documentClient: DynamoDBDocumentClient, tableName: string) {
  const Key = partitionKeys.lock();
  const now = () => new Date().toISOString(); // for display only
  const ours = (owner: string, rvn: string) => ({
    ConditionExpression: "#owner = :owner AND #rvn = :rvn",
    ExpressionAttributeNames: { "#owner": "owner", "#rvn": "rvn" },
    ExpressionAttributeValues: { ":owner": owner, ":rvn": rvn },
  });
  /** Runs a conditional write: false when its condition failed, any other error thrown. */
  const conditional = async (write: () => Promise<unknown>) => {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  };
  return {
    /** The fence for a TransactWriteItems: the item is ours, at `rvn`. */
    condition: (owner: string, rvn: string): LockCondition => ({ TableName: tableName, Key, ...ours(owner, rvn) }),

    async read(): Promise<LockHolder | undefined> {
      const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
      if (!Item) return undefined;
      const heartbeatAt = String(Item.heartbeatAt ?? Item.acquiredAt);
      return { owner: String(Item.owner), rvn: String(Item.rvn), leaseMs: Number(Item.leaseMs), acquiredAt: String(Item.acquiredAt), heartbeatAt };
    },

    /** A fresh item at version `rvn`: when absent, or (takeover) when still at the version we watched go stale. */
    create: (owner: string, rvn: string, leaseMs: number, staleRvn: string | undefined) =>
      conditional(() =>
        documentClient.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...Key, owner, rvn, leaseMs, acquiredAt: now(), heartbeatAt: now() },
            ConditionExpression: staleRvn === undefined ? "attribute_not_exists(#pk)" : "#rvn = :stale",
            ExpressionAttributeNames: staleRvn === undefined ? { "#pk": PARTITION_KEY } : { "#rvn": "rvn" },
            ...(staleRvn === undefined ? {} : { ExpressionAttributeValues: { ":stale": staleRvn } }),
          }),
        ),
      ),

    /** Moves our version from `rvn` to `next`: false when the item is no longer ours at `rvn`. */
    renew: (owner: string, rvn: string, next: string) =>
      conditional(() =>
        documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: "SET #rvn = :next, #heartbeatAt = :at",
            ConditionExpression: ours(owner, rvn).ConditionExpression,
            ExpressionAttributeNames: { ...ours(owner, rvn).ExpressionAttributeNames, "#heartbeatAt": "heartbeatAt" },
            ExpressionAttributeValues: { ...ours(owner, rvn).ExpressionAttributeValues, ":next": next, ":at": now() },
          }),
        ),
      ),

    /** Deletes the item: only while ours at `held.rvn`, or whoever holds it when `held` is absent. */
    remove: (held?: { owner: string; rvn: string }) =>
      conditional(() => documentClient.send(new DeleteCommand({ TableName: tableName, Key, ...(held ? ours(held.owner, held.rvn) : {}) }))),
  };
}

/** One holder's state: the lease by its own clock, the version it watches while waiting, and its heartbeat. */
interface Holder {
  owner: string;
  tableName: string;
  leaseMs: number;
  clock: Clock;
  log: (message: string) => void;
  item: ReturnType<typeof lockItem>;
  lease: ReturnType<typeof heldLease>;
  watch: ReturnType<typeof versionWatch>;
  controller: AbortController;
  heartbeat: NodeJS.Timeout | undefined;
  /** Heartbeats and fenced writes take turns, so a fence never carries a version a heartbeat is replacing. */
  inTurn: <T>(work: () => Promise<T>) => Promise<T>;
}

const LABEL = "migration lock";

function takingTurns(): Holder["inTurn"] {
  let turn: Promise<unknown> = Promise.resolve();
  return (work) => {
    const result = turn.then(work, work);
    turn = result.catch(() => {});
    return result;
  };
}

function stopHeartbeat(h: Holder): void {
  clearInterval(h.heartbeat);
  h.heartbeat = undefined;
}

function lose(h: Holder, why: string): void {
  if (h.controller.signal.aborted) return;
  h.lease.lose(why);
  stopHeartbeat(h);
  h.log(`${LABEL}: lost (${why})`);
  h.controller.abort(new MigrationLockLostError(h.tableName, h.owner));
}

/** The version we hold, or the lost-lease error (and the signal aborted) when it no longer counts by our clock. */
function assertHeld(h: Holder): { rvn: string } {
  if (h.controller.signal.aborted) throw h.controller.signal.reason;
  const held = h.lease.current();
  if (held) return held;
  lose(h, "no heartbeat succeeded for a whole lease");
  throw h.controller.signal.reason;
}

/** Replaces the version we hold, conditioned on still holding it; loses the lease when another process has it. */
async function beat(h: Holder): Promise<void> {
  if (h.lease.state.kind === "released" || h.controller.signal.aborted) return;
  const held = h.lease.current();
  if (!held) return lose(h, "no heartbeat succeeded for a whole lease");
  const [next, sent] = [randomUUID(), h.clock()];
  try {
    if (await h.item.renew(h.owner, held.rvn, next)) h.lease.renewed(next, sent);
    else lose(h, "another process holds it now");
  } catch (error) {
    // A network error is retried on the next beat; the lease's own expiry stops us if none succeeds in time.
    h.log(`${LABEL}: heartbeat failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The lease the holder promised to heartbeat within, as its item says. */
const leaseOf = (h: Holder, current: LockHolder) => (current.leaseMs > 0 ? current.leaseMs : h.leaseMs);

/** One attempt: takes the lock if it is free, or if the holder's version stood still for a whole lease on our clock. */
async function tryAcquire(h: Holder, current: LockHolder | undefined): Promise<boolean> {
  const stale = current !== undefined && h.watch.isStale(current.rvn, leaseOf(h, current));
  if (current && !stale) return false;
  const [next, sent] = [randomUUID(), h.clock()];
  if (!(await h.item.create(h.owner, next, h.leaseMs, current?.rvn))) return false;
  h.lease.renewed(next, sent);
  if (stale) h.log(`${LABEL}: took over from ${current.owner}, whose version did not change for a whole lease`);
  h.watch.forget();
  h.controller = new AbortController();
  h.heartbeat = setInterval(() => void h.inTurn(() => beat(h)), Math.max(50, Math.floor(h.leaseMs / 3)));
  h.heartbeat.unref();
  return true;
}

/** Attempts until the lock is ours, `giveUpWhen` says to stop, or `waitTimeoutMs` passes on our clock; reports the holder every 5 s. */
async function acquire(h: Holder, waitTimeoutMs: number, giveUpWhen?: () => Promise<boolean>): Promise<boolean> {
  const started = h.clock();
  let lastReport = -Infinity;
  for (let attempt = 0; ; attempt++) {
    const current = await h.item.read();
    if (await tryAcquire(h, current)) return true;
    if (giveUpWhen && (await giveUpWhen())) return false;
    if (h.clock() - started >= waitTimeoutMs) throw new MigrationLockTimeoutError(h.tableName, current?.owner ?? "unknown", current?.leaseMs ?? h.leaseMs);
    if (current && h.clock() - lastReport >= 5_000) {
      h.log(`waiting for the ${LABEL} held by ${current.owner} (last heartbeat ${current.heartbeatAt} by its clock)`);
      lastReport = h.clock();
    }
    // Never sleep past the moment the watched version would count as stale.
    const untilStale = current ? (h.watch.msUntilStale(leaseOf(h, current)) ?? 0) + 10 : 10;
    await sleep(Math.min(backoffDelay(attempt, 100, 2_000) + 10, Math.max(10, untilStale)));
  }
}

/** Stops heartbeating and deletes the item if it is still ours at our version; never someone else's. */
async function release(h: Holder): Promise<void> {
  stopHeartbeat(h);
  await h.inTurn(async () => {
    const held = h.lease.state;
    h.lease.release();
    if (held.kind !== "held" || h.controller.signal.aborted) return;
    if (!(await h.item.remove({ owner: h.owner, rvn: held.rvn }))) h.log(`${LABEL}: not released because ${h.owner} no longer holds it`);
  });
}

export function migrationLock(options: MigrationLockOptions): MigrationLock {
  const { documentClient, tableName, leaseMs = 60_000, waitTimeoutMs = 15 * 60_000, log = () => {}, clock = monotonic } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const item = lockItem(documentClient, tableName);
  const h: Holder = {
    ...{ owner, tableName, leaseMs, clock, log, item },
    ...{ lease: heldLease(leaseMs, clock), watch: versionWatch(clock), controller: new AbortController(), heartbeat: undefined, inTurn: takingTurns() },
  };
  return {
    owner,
    get signal() {
      return h.controller.signal;
    },
    acquire: ({ giveUpWhen } = {}) => acquire(h, waitTimeoutMs, giveUpWhen),
    assertHeld: () => void assertHeld(h),
    fenced: (write) => h.inTurn(async () => write(item.condition(owner, assertHeld(h).rvn))),
    release: () => release(h),
    holder: () => item.read(),
    forceRelease: async () => void (await item.remove()),
  };
}
