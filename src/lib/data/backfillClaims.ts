/**
 * How many processes, on one machine or many, share one backfill, with
 * DynamoDB as the only thing they have in common:
 *
 * - The process that holds the migration lock publishes the job
 *   (`backfill-job#<migration>`: its segments and a fingerprint of the code),
 *   so workers know what to do and can refuse code that differs.
 * - Every process that works on it claims one segment at a time
 *   (`backfill-claim#<migration>#<segment>`): the migration lock's lease under
 *   another key. A dead worker's segment is taken over once its version has
 *   stood still for a whole lease on the taker's own clock, and work resumes
 *   from the segment's checkpoint.
 * - Items and checkpoints are written in transactions that carry a
 *   ConditionCheck on the claim, so a worker that lost its claim (paused,
 *   partitioned, taken over) writes nothing more.
 *
 * The job is deleted in the transaction that records the migration, with
 * the checkpoints; claims are deleted by their holders as segments finish.
 */
import { createHash } from "node:crypto";
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BackfillClaimLostError, UnprocessedItemsError } from "../errors";
import { migrationLock, type LockCondition, type MigrationLock } from "../migrations/migrationLock";
import { queryMigrationsPartition } from "../migrations/migrationsPartition";
import { MIGRATIONS_PARTITION, PARTITION_KEY, SORT_KEY } from "../table/keySchema";
import { backoffDelay, sleep } from "./backoff";
import { checkpointKey, readCheckpoints, type Checkpoint, type Fence } from "./backfillCheckpoints";
import { batchWriteAll, type WriteRequest } from "./batchWrite";
import { isThrottling, type WriteBudget } from "./writeBudget";

export const JOB_SK_PREFIX = "backfill-job#";
export const CLAIM_SK_PREFIX = "backfill-claim#";

/** TransactWriteItems takes 100 actions: 98 puts, the claim's ConditionCheck and the job's. */
export const FENCED_WRITE_LIMIT = 98;
/** ...and 4 MB in all: chunks stay under this many bytes of JSON (an over-estimate of DynamoDB's item size for most items). */
const FENCED_WRITE_BYTES = 3_000_000;

/** A published backfill: what a worker needs to find the same code and join. */
export interface BackfillJob {
  migration: string;
  totalSegments: number;
  fingerprint: string;
  publishedBy: string;
  /** The publisher's clock, for display. */
  publishedAt: string;
}

const key = (sk: string) => ({ [PARTITION_KEY]: MIGRATIONS_PARTITION, [SORT_KEY]: sk });
export const jobKey = (migration: string) => key(`${JOB_SK_PREFIX}${migration}`);
const claimSk = (migration: string, segment: number) => `${CLAIM_SK_PREFIX}${migration}#${String(segment).padStart(3, "0")}`;

/**
 * What a worker compares before it joins: the migration's transform and the
 * settings that decide which items it meets. Two builds of the same commit
 * agree; an edited transform or filter does not.
 */
export function backfillFingerprint(spec: { transform: (item: Record<string, unknown>) => unknown; filter?: unknown; segments?: number; pageSize?: number }) {
  const { transform, filter, segments, pageSize } = spec;
  return createHash("sha256").update(JSON.stringify({ filter, segments, pageSize })).update(transform.toString()).digest("hex").slice(0, 16);
}

/** Publishes (or re-publishes, on a resumed run) the job, fenced by the migration lock when there is one. */
export async function publishJob(
  { documentClient, tableName, fence }: { documentClient: DynamoDBDocumentClient; tableName: string; fence?: Fence | undefined },
  job: BackfillJob,
): Promise<void> {
  const put = { TableName: tableName, Item: { ...jobKey(job.migration), ...job } };
  if (!fence) await documentClient.send(new PutCommand(put));
  else await fence((condition) => documentClient.send(new TransactWriteCommand({ TransactItems: [{ Put: put }, { ConditionCheck: condition }] })));
}

async function jobPublished(documentClient: DynamoDBDocumentClient, tableName: string, migration: string): Promise<boolean> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: jobKey(migration), ConsistentRead: true }));
  return Item !== undefined;
}

/** Every published job, read consistently. */
export async function readJobs(documentClient: DynamoDBDocumentClient, tableName: string): Promise<BackfillJob[]> {
  return (await queryMigrationsPartition({ documentClient, tableName }, JOB_SK_PREFIX)) as unknown as BackfillJob[];
}

/** One segment's checkpoint, read consistently (only its claim holder writes it, so this is where to resume). */
async function readCheckpoint(documentClient: DynamoDBDocumentClient, tableName: string, migration: string, segment: number): Promise<Checkpoint | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: checkpointKey(migration, segment), ConsistentRead: true }));
  return Item as Checkpoint | undefined;
}

/**
 * Runs one TransactWriteItems with the claim's ConditionChecks last. Retries
 * conflicts and throttling (telling the budget); a failed check means the
 * claim is lost (or the job is over), and nothing of this transaction was written.
 */
export async function fencedTransaction(
  {
    documentClient,
    budget,
    claim,
    maxAttempts = 10,
  }: { documentClient: DynamoDBDocumentClient; budget?: WriteBudget | undefined; claim: FencingClaim; maxAttempts?: number },
  actions: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    await budget?.take(actions.length);
    try {
      await claim.fenced((checks) =>
        documentClient.send(new TransactWriteCommand({ TransactItems: [...actions, ...checks.map((check) => ({ ConditionCheck: check }))] })),
      );
      return attempt;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons.slice(actions.length).some((r) => r.Code === "ConditionalCheckFailed")) throw claim.lost();
      const throttled = isThrottling(error) || reasons.some((r) => r.Code === "ThrottlingError" || r.Code === "ProvisionedThroughputExceeded");
      const conflict = reasons.some((r) => r.Code === "TransactionConflict");
      if (!(throttled || conflict) || attempt + 1 >= maxAttempts) {
        if (throttled || conflict) throw new UnprocessedItemsError(actions.length, maxAttempts);
        throw error;
      }
      if (throttled) budget?.throttled();
    }
    await sleep(backoffDelay(attempt, 50, 5_000));
  }
}

/** What fenced writes need from a claim. */
export interface FencingClaim {
  /** Runs `write` with the ConditionChecks that must hold for it: the claim is ours at its version (and the job still exists). */
  fenced<T>(write: (checks: ConditionCheck[]) => Promise<T>): Promise<T>;
  /** The error to throw when the claim's check failed. */
  lost: () => Error;
}

/** Puts every item, in transactions of at most 99 puts fenced by the claim; returns the retries needed. */
export async function fencedWriteAll(
  options: { documentClient: DynamoDBDocumentClient; tableName: string; budget?: WriteBudget | undefined; claim: FencingClaim },
  requests: readonly WriteRequest[],
  onProgress?: (written: number) => void,
): Promise<number> {
  let retries = 0;
  let chunk: { Put: { TableName: string; Item: Record<string, unknown> } }[] = [];
  let bytes = 0;
  let written = 0;
  const send = async () => {
    if (chunk.length === 0) return;
    retries += await fencedTransaction(options, chunk);
    written += chunk.length;
    onProgress?.(written);
    chunk = [];
    bytes = 0;
  };
  for (const request of requests) {
    const item = request.PutRequest!.Item!;
    const size = JSON.stringify(item).length;
    // Under a budget, no transaction larger than its burst: a bigger one would put more than the rate into one second.
    const limit = Math.min(FENCED_WRITE_LIMIT, Math.max(1, Math.floor(options.budget?.burst() ?? FENCED_WRITE_LIMIT)));
    if (chunk.length >= limit || (chunk.length > 0 && bytes + size > FENCED_WRITE_BYTES)) await send();
    chunk.push({ Put: { TableName: options.tableName, Item: item } });
    bytes += size;
  }
  await send();
  return retries;
}

type ConditionCheck = Omit<LockCondition, "ExpressionAttributeValues"> & { ExpressionAttributeValues?: Record<string, string> };

/** Passes while the job is published: once the migration is recorded (job deleted), a straggler writes nothing. */
const jobCheck = (tableName: string, migration: string): ConditionCheck => ({
  TableName: tableName,
  Key: jobKey(migration),
  ConditionExpression: "attribute_exists(#pk)",
  ExpressionAttributeNames: { "#pk": PARTITION_KEY },
});

export interface ClaimLoopOptions {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  migration: string;
  segments: number;
  /** Segments this process works on at once; 0 only watches others finish them. */
  parallel: number;
  /** A worker's claim lease: a dead worker's segment waits this long (on the taker's clock) before it is taken over. */
  leaseMs: number;
  owner: string;
  log: (message: string) => void;
  signal?: AbortSignal | undefined;
  /** A published job: stop when it is gone (the migration was recorded), and fence every write on its existence. */
  published: boolean;
  /** Hears the checkpoints at every look at the table (about once a second), for progress lines. */
  onPoll?: (checkpoints: Checkpoint[]) => void;
}

/** What a claimed segment's work gets: where to start, the claim that fences its writes, and when to stop. */
export interface ClaimedSegment {
  segment: number;
  from: Checkpoint | undefined;
  claim: FencingClaim;
  signal: AbortSignal;
}

/**
 * Claims unfinished segments, up to `parallel` at a time, and runs `work`
 * on each; returns the checkpoints once every segment is done, whoever did
 * it. The first failure stops this process's other segments and is thrown.
 */
export async function workOnSegments(options: ClaimLoopOptions, work: (claimed: ClaimedSegment) => Promise<void>): Promise<Checkpoint[]> {
  const { documentClient, tableName, migration, segments, parallel, leaseMs, owner, log, onPoll, published } = options;
  const job = published ? [jobCheck(tableName, migration)] : [];
  const stop = new AbortController(); // the first failure stops this process's other segments
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const watching = new Map<number, MigrationLock>(); // claims we failed to take, remembering the version we saw
  const running = new Map<number, Promise<void>>();
  let failure: { error: unknown } | undefined;

  const claimOf = (segment: number) => {
    const lost = () => new BackfillClaimLostError(tableName, migration, segment, owner);
    const label = `claim on segment ${segment} of "${migration}"`;
    return migrationLock({ documentClient, tableName, owner, leaseMs, sk: claimSk(migration, segment), label, lostError: lost, log });
  };

  const run = (segment: number, claim: MigrationLock) =>
    (async () => {
      try {
        const from = await readCheckpoint(documentClient, tableName, migration, segment);
        if (from?.done) return; // finished by someone else between our look and our claim
        const fencing: FencingClaim = {
          fenced: (write) => claim.fenced((condition) => write([condition, ...job])),
          lost: () => (claim.signal.reason as Error | undefined) ?? new BackfillClaimLostError(tableName, migration, segment, owner),
        };
        await work({ segment, from, claim: fencing, signal: AbortSignal.any([signal, claim.signal]) });
      } finally {
        await claim.release().catch(() => {}); // a claim we cannot delete runs out on its own
        running.delete(segment);
      }
    })().catch((error: unknown) => {
      // A lost claim ends this segment here, not the process: whoever holds it now resumes from its checkpoint,
      // and the fence kept us from writing after the loss. Anything else stops this process's other segments too.
      if (error instanceof BackfillClaimLostError && !signal.aborted) {
        log(`backfill of "${migration}": ${error.message}`);
        return;
      }
      failure ??= { error };
      stop.abort(error);
    });

  try {
    for (;;) {
      if (failure) throw failure.error;
      signal.throwIfAborted();
      if (published && running.size === 0 && !(await jobPublished(documentClient, tableName, migration))) {
        log(`backfill of "${migration}": the migration run recorded it; nothing left here`);
        return [];
      }
      const checkpoints = await readCheckpoints(documentClient, tableName, migration);
      onPoll?.(checkpoints);
      const done = new Set(checkpoints.filter((c) => c.done).map((c) => c.segment));
      if (done.size === segments && running.size === 0) return checkpoints;
      for (let segment = 0; segment < segments && running.size < parallel; segment++) {
        if (done.has(segment) || running.has(segment)) continue;
        const claim = watching.get(segment) ?? claimOf(segment);
        if (!(await claim.tryAcquire())) {
          watching.set(segment, claim);
          continue;
        }
        watching.delete(segment);
        running.set(segment, run(segment, claim));
      }
      await Promise.race([sleep(Math.min(1_000, leaseMs / 4)), ...running.values()]);
    }
  } finally {
    stop.abort(new Error("stopped"));
    await Promise.allSettled(running.values());
  }
}

/** Deletes the claim items of a finished backfill that dead workers left behind. */
export async function deleteClaims(documentClient: DynamoDBDocumentClient, tableName: string, migration: string, segments: number): Promise<void> {
  await batchWriteAll(
    { documentClient, tableName },
    Array.from({ length: segments }, (_, s) => ({ DeleteRequest: { Key: key(claimSk(migration, s)) } })),
  );
}
