/**
 * Cross-process lease lock for migrations: one item in the migrations
 * partition, taken with a conditional put when absent or expired, renewed
 * while held, deleted on release. A holder that dies leaves a lease that
 * expires by itself, never a stuck deploy.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { backoffDelay, sleep } from "../data/backoff";
import { MigrationLockLostError, MigrationLockTimeoutError, isConditionalCheckFailed } from "../errors";
import { MIGRATIONS_PARTITION, PARTITION_KEY, SORT_KEY } from "../table/keySchema";

export const LOCK_SK = "lock";

export interface MigrationLockOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Identifies the holder in messages; unique per lock object by default. */
  owner?: string;
  /** Lease length. A holder renews every third of it; a dead holder blocks others at most this long. */
  leaseMs?: number;
  /** How long `acquire` waits for a busy lock before `MigrationLockTimeoutError`. */
  waitTimeoutMs?: number;
  log?: (message: string) => void;
}

export interface LockHolder {
  owner: string;
  expiresAt: number;
  acquiredAt: string;
}

export interface MigrationLock {
  readonly owner: string;
  /**
   * Takes the lock, waiting with backoff while another owner holds a live
   * lease. Between attempts it asks `giveUpWhen`; a true answer (say, "nothing
   * is pending any more") returns false without taking the lock.
   */
  acquire(options?: { giveUpWhen?: () => Promise<boolean> }): Promise<boolean>;
  /** Throws `MigrationLockLostError` unless the lease is still ours and unexpired. */
  assertHeld(): void;
  /** Stops renewing and deletes the lock item if it is still ours. */
  release(): Promise<void>;
  /** The current holder, if any (expired leases included), read consistently. */
  holder(): Promise<LockHolder | undefined>;
  /** Deletes the lock whoever holds it: for an operator who knows the holder is dead. */
  forceRelease(): Promise<void>;
}

export function migrationLock(options: MigrationLockOptions): MigrationLock {
  const { documentClient, tableName, leaseMs = 60_000, waitTimeoutMs = 15 * 60_000, log = () => {} } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const Key = { [PARTITION_KEY]: MIGRATIONS_PARTITION, [SORT_KEY]: LOCK_SK };
  // Local view of our lease: the expiry we last wrote, and why we stopped holding it.
  let heldUntil = 0;
  let lost: Error | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  async function tryAcquire(): Promise<boolean> {
    const now = Date.now();
    try {
      await documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...Key, owner, expiresAt: now + leaseMs, acquiredAt: new Date(now).toISOString() },
          ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt < :now",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY, "#expiresAt": "expiresAt" },
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      heldUntil = now + leaseMs;
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async function renew(): Promise<void> {
    const now = Date.now();
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key,
          UpdateExpression: "SET #expiresAt = :expiresAt",
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner", "#expiresAt": "expiresAt" },
          ExpressionAttributeValues: { ":owner": owner, ":expiresAt": now + leaseMs },
        }),
      );
      heldUntil = now + leaseMs;
    } catch (error) {
      // Someone else owns the item now: we are done. A network error is retried on the next beat,
      // and assertHeld() stops us if the lease runs out before a renewal succeeds.
      if (isConditionalCheckFailed(error)) lost = new MigrationLockLostError(tableName, owner);
      else log(`migration lock: renewal failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function holder(): Promise<LockHolder | undefined> {
    const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
    return Item ? { owner: String(Item.owner), expiresAt: Number(Item.expiresAt), acquiredAt: String(Item.acquiredAt) } : undefined;
  }

  return {
    owner,

    async acquire({ giveUpWhen } = {}) {
      const started = Date.now();
      let lastReport = 0;
      for (let attempt = 0; ; attempt++) {
        if (await tryAcquire()) {
          lost = undefined;
          heartbeat = setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 3)));
          heartbeat.unref();
          return true;
        }
        if (giveUpWhen && (await giveUpWhen())) return false;
        const current = await holder();
        if (Date.now() - started >= waitTimeoutMs) {
          throw new MigrationLockTimeoutError(tableName, current?.owner ?? "unknown", current?.expiresAt ?? Date.now());
        }
        if (current && Date.now() - lastReport >= 5_000) {
          const left = Math.max(0, Math.round((current.expiresAt - Date.now()) / 1000));
          log(`waiting for the migration lock held by ${current.owner} (lease ends in ${left} s unless renewed)`);
          lastReport = Date.now();
        }
        // Never sleep past the moment the current lease would expire.
        const untilExpiry = current ? Math.max(10, current.expiresAt - Date.now() + 10) : 10;
        await sleep(Math.min(backoffDelay(attempt, 100, 2_000) + 10, untilExpiry));
      }
    },

    assertHeld() {
      if (lost) throw lost;
      if (Date.now() >= heldUntil) throw new MigrationLockLostError(tableName, owner);
    },

    async release() {
      clearInterval(heartbeat);
      heartbeat = undefined;
      heldUntil = 0;
      try {
        await documentClient.send(
          new DeleteCommand({
            TableName: tableName,
            Key,
            ConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": "owner" },
            ExpressionAttributeValues: { ":owner": owner },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        log(`migration lock: not released because ${owner} no longer holds it (its lease had expired)`);
      }
    },

    holder,

    async forceRelease() {
      await documentClient.send(new DeleteCommand({ TableName: tableName, Key }));
    },
  };
}
