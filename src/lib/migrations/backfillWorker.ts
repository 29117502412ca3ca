/**
 * A backfill worker: a process, on this machine or any other, that helps the
 * migration run with the segments of its declared backfills. It finds
 * published jobs in the table, refuses any whose migration its own code does
 * not have (or has in another version), and otherwise claims and rewrites
 * segments until all are done (backfillClaims.ts). It waits while a
 * migration with a backfill is pending but not yet published, and returns
 * when none is left.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { backfill } from "../data/backfill";
import { backfillFingerprint, readJobs, type BackfillJob } from "../data/backfillClaims";
import { sleep } from "../data/backoff";
import { BackfillClaimLostError, BackfillWorkerRefusedError, WaitTimeoutError } from "../errors";
import type { Migration } from "./migration";
import { dynamoMigrationStorage } from "./migrationStorage";

export interface BackfillWorkerOptions {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** This build's migration index: a job whose migration is not in it, or differs, is refused. */
  migrations: readonly Migration[];
  /** Segments worked on at once. */
  parallel?: number;
  claimLeaseMs?: number;
  /** How long to wait for a pending migration's backfill to be published before giving up. */
  maxWaitMs?: number;
  log?: (message: string) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

/** Works on every published backfill this build knows; returns the migrations it helped with. */
export async function runBackfillWorker(options: BackfillWorkerOptions): Promise<string[]> {
  const { client, documentClient, tableName, migrations, parallel = 1, claimLeaseMs, maxWaitMs = 15 * 60_000, log = () => {}, signal } = options;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const storage = dynamoMigrationStorage({ documentClient, tableName });
  const helped: string[] = [];
  const finished = new Set<string>(); // every segment done; the migration run records it
  let waitingSince = performance.now();
  let reported = 0;

  for (;;) {
    signal?.throwIfAborted();
    const job = (await readJobs(documentClient, tableName)).find((j) => !finished.has(j.migration));
    if (job) {
      const spec = specFor(migrations, job);
      log(`worker ${owner}: joining the backfill of "${job.migration}" (${job.totalSegments} segments, published by ${job.publishedBy})`);
      const work = backfill({
        client,
        documentClient,
        tableName,
        ...spec,
        migration: job.migration,
        join: true,
        parallel,
        owner,
        log,
        ...(claimLeaseMs ? { claimLeaseMs } : {}),
        ...(options.progressEveryMs ? { progressEveryMs: options.progressEveryMs } : {}),
        ...(signal ? { signal } : {}),
      });
      await work.catch(async (error: unknown) => {
        // Recorded while our last write was on its way: the job's check refused it, and that is the end of the job, not a failure.
        const recorded = !(await readJobs(documentClient, tableName)).some((j) => j.migration === job.migration);
        if (!(error instanceof BackfillClaimLostError && recorded)) throw error;
      });
      finished.add(job.migration);
      helped.push(job.migration);
      waitingSince = performance.now();
      continue;
    }
    const executed = new Set(await storage.executed({ context: undefined }));
    const upcoming = migrations.filter((m) => m.backfill && !executed.has(m.name) && !finished.has(m.name)).map((m) => m.name);
    if (upcoming.length === 0) {
      log(`worker ${owner}: no backfill left to help with${helped.length ? ` (helped with ${helped.join(", ")})` : ""}`);
      return helped;
    }
    const waited = performance.now() - waitingSince;
    if (waited >= maxWaitMs) throw new WaitTimeoutError(`a migration run to publish the backfill of "${upcoming[0]}"`, waited, "pending, not published");
    if (performance.now() - reported >= 10_000) {
      log(`worker ${owner}: waiting for the migration run to publish the backfill of "${upcoming[0]}" (pending: ${upcoming.join(", ")})`);
      reported = performance.now();
    }
    await sleep(500);
  }
}

/** The declared backfill of the job's migration in this build, if it is exactly the one that was published. */
function specFor(migrations: readonly Migration[], job: BackfillJob) {
  const migration = migrations.find((m) => m.name === job.migration);
  if (!migration) throw new BackfillWorkerRefusedError(job.migration, "this build's migration index has no migration of that name");
  if (!migration.backfill) throw new BackfillWorkerRefusedError(job.migration, "in this build that migration declares no backfill");
  const fingerprint = backfillFingerprint(migration.backfill);
  if (fingerprint !== job.fingerprint) {
    throw new BackfillWorkerRefusedError(
      job.migration,
      `this build's backfill (transform, filter, segments or page size) differs from the published one (fingerprint ${fingerprint}, published ${job.fingerprint})`,
    );
  }
  return migration.backfill;
}
