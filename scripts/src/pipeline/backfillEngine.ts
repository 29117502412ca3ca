/**
 * Backfills past one machine. The pre-step runs a migration's declared backfill in its own process while the table
 * is small, and on the backfill state machine (Step Functions Distributed Map over scan segments, the kit's worker
 * per segment: terraform/service/backfill.asl.json) once the table holds more items than the deployment's threshold,
 * or when the migration asks for it. The run holds the migration lock throughout (the runner heartbeats it; the
 * workers check its owner and fence their checkpoints on it), shows progress from the checkpoints (items scanned and
 * written, rate, ETA), and the migration is recorded only when the execution succeeded. A run that stops midway
 * leaves checkpoints: the next one resumes from them, redoing at most a page per segment.
 *
 * Locally the same definition runs on aws-local-stepfunctions, its task state mapped to the built worker.
 */
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { readCheckpoints, type BackfillRun } from "@dynamodb-starter/kit/ops";
import { StarterError } from "@dynamodb-starter/kit/runtime";
import { SERVICE_MODULE } from "../aws/terraform";

/** Scan segments, from the table's size: about a million items each, 4 at least, 64 (the kit's limit) at most. */
export const ITEMS_PER_SEGMENT = 1_000_000;
export const MAX_SEGMENTS = 64;
/**
 * What one worker is assumed to write (its segment's conditional updates, 8 in flight at ~8 ms each in-region): how
 * many workers a budget takes at once. An assumption, not a measurement; the budget caps the real rate either way.
 */
export const WORKER_ITEMS_PER_SECOND = 1_000;
/** A table's default on-demand ceiling, 40,000 write units per second (a service quota): the bound without a budget. */
export const TABLE_WRITES_PER_SECOND = 40_000;

export class BackfillEngineError extends StarterError<"BACKFILL_ENGINE"> {
  override name = "BackfillEngineError";
  constructor(message: string) {
    super("BACKFILL_ENGINE", message);
  }
}

/** What the state machine is started with (backfill.asl.json reads these). */
export interface ExecutionInput {
  migration: string;
  segments: number[];
  totalSegments: number;
  lockOwner: string;
  /** Per segment; 0: no budget. */
  maxWritesPerSecond: number;
  concurrency: number;
}

/** A running execution of the state machine. */
export interface Execution {
  /** Where it can be looked at (a console URL, or "local"). */
  where: string;
  /** Resolves when it succeeded; throws with its error when it failed or was stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Where the state machine runs: AWS, or this machine. */
export interface BackfillMachine {
  name: string;
  /** Makes this release's worker the one the machine runs; false when the machine is not deployed (yet). */
  prepare(log: (line: string) => void): Promise<boolean>;
  start(input: ExecutionInput, log: (line: string) => void): Promise<Execution>;
}

export interface EngineOptions {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Item count from which a backfill goes to the machine ("backfills": { "distributedAboveItems" } of the deployment). */
  distributedAboveItems: number;
  machine: BackfillMachine;
  log: (line: string) => void;
  progressEveryMs?: number;
}

/** The definition, with the worker's ARN where Terraform puts it. */
export function backfillDefinition(workerArn: string): object {
  return JSON.parse(readFileSync(join(SERVICE_MODULE, "backfill.asl.json"), "utf8").replace("${worker_arn}", workerArn)) as object;
}

async function itemCount(client: DynamoDBClient, tableName: string): Promise<number> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return Table?.ItemCount ?? 0;
}

/** The migration runner's backfill engine (MigratorOptions.backfillEngine): in process, or on the machine. */
export function backfillEngine({ client, documentClient, tableName, distributedAboveItems, machine, log, progressEveryMs = 5_000 }: EngineOptions) {
  return async (run: BackfillRun) => {
    const { migration, spec } = run;
    if (spec.engine === "in-process") return run.inProcess();
    const items = await itemCount(client, tableName);
    if (spec.engine !== "distributed" && items < distributedAboveItems) return run.inProcess();
    if (!(await machine.prepare(log))) {
      log(`  the backfill state machine is not deployed yet (the first deploy creates it): ${migration}'s backfill runs in this process`);
      return run.inProcess();
    }
    const existing = await readCheckpoints(documentClient, tableName, migration);
    const totalSegments = existing[0]?.totalSegments ?? spec.segments ?? Math.min(MAX_SEGMENTS, Math.max(4, Math.ceil(items / ITEMS_PER_SEGMENT)));
    const remaining = Array.from({ length: totalSegments }, (_, s) => s).filter((s) => !existing.find((c) => c.segment === s)?.done);
    // As many workers at once as the budget keeps busy, each with an equal share of it.
    const concurrency = Math.max(1, Math.min(remaining.length, Math.ceil((spec.maxWritesPerSecond ?? TABLE_WRITES_PER_SECOND) / WORKER_ITEMS_PER_SECOND)));
    const input: ExecutionInput = {
      migration,
      segments: remaining,
      totalSegments,
      lockOwner: run.owner,
      maxWritesPerSecond: spec.maxWritesPerSecond ? spec.maxWritesPerSecond / concurrency : 0,
      concurrency,
    };
    const why = spec.engine === "distributed" ? "the migration asks for it" : `~${items} items, above ${distributedAboveItems}`;
    log(
      `  backfill of ${migration} on ${machine.name} (${why}): ${totalSegments} segments` +
        `${existing.length ? `, ${totalSegments - remaining.length} already done by an earlier run` : ""}, ${input.concurrency} workers at once`,
    );
    const started = Date.now();
    const baseline = existing.reduce((n, c) => n + c.written, 0);
    const execution = await machine.start(input, log);
    log(`  execution: ${execution.where}`);
    const stop = () => void execution.stop();
    run.signal.addEventListener("abort", stop, { once: true });
    const progress = async (final: boolean) => {
      const checkpoints = await readCheckpoints(documentClient, tableName, migration);
      const scanned = checkpoints.reduce((n, c) => n + c.scanned, 0);
      const written = checkpoints.reduce((n, c) => n + c.written, 0);
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const rate = (written - baseline) / seconds;
      const scanRate = scanned / seconds;
      const eta = !final && items > scanned && scanRate > 0 ? `, ETA ${Math.round((items - scanned) / scanRate)} s` : "";
      const done = checkpoints.filter((c) => c.done).length;
      log(
        `  backfill ${migration}: scanned ${scanned}, written ${written} (${Math.round(rate)} items/s), ${done}/${totalSegments} segments done${eta}${final ? ", done" : ""}`,
      );
      return { scanned, written };
    };
    const finished = new AbortController();
    const ticker = (async () => {
      while (!finished.signal.aborted) {
        await sleep(progressEveryMs, undefined, { signal: finished.signal }).catch(() => {});
        if (!finished.signal.aborted) await progress(false).catch(() => {});
      }
    })();
    try {
      await execution.done;
    } catch (error) {
      throw new BackfillEngineError(
        `the backfill of ${migration} failed on ${machine.name} (${execution.where}): ${error instanceof Error ? error.message : String(error)}. ` +
          "It was not recorded; its checkpoints stay, and the next deploy (or make migrate) resumes from them.",
      );
    } finally {
      finished.abort();
      run.signal.removeEventListener("abort", stop);
      await ticker;
    }
    run.signal.throwIfAborted();
    const { scanned, written } = await progress(true);
    return {
      scanned,
      written,
      gone: 0,
      retries: 0,
      writeUnits: 0,
      ms: Date.now() - started,
      resumedSegments: totalSegments - remaining.length,
      complete: true,
    };
  };
}
