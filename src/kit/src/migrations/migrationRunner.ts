/**
 * Applies and reverts migrations with umzug, under the lease lock. This is
 * the only module that imports umzug, with import() when a run starts;
 * connect() reaches this module through import() too, and only when
 * something is pending, so a warm deployment never loads either.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Umzug } from "umzug";
import { backfill, type BackfillResult, type BackfillSpec } from "../data/backfill";
import { assertNoOrphanCheckpoints } from "../data/backfillCheckpoints";
import { addGlobalSecondaryIndex, removeGlobalSecondaryIndex } from "../table/globalSecondaryIndex";

/** For the standalone index helpers of /migrations, which load them with import() of this module. */
export { addGlobalSecondaryIndex, removeGlobalSecondaryIndex };
import { ConfigError, MigrationFailedError, MigrationLockLostError } from "../errors";
import { validateMigrationIndex, type Migration, type MigrationContext } from "./migration";
import { migrationLock, type MigrationLock, type MigrationLockOptions } from "./migrationLock";
import { migrationStatus, type MigrationStatus } from "./migrationStatus";
import { dynamoMigrationStorage } from "./migrationStorage";

export interface MigratorOptions {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  migrations: readonly Migration[];
  log?: (message: string) => void;
  /** Lease and wait settings of the migration lock. */
  lock?: Pick<MigrationLockOptions, "leaseMs" | "waitTimeoutMs" | "owner">;
  /** Stops the run from outside: the migration in progress stops like on a lost lock. */
  signal?: AbortSignal;
  /**
   * Runs a migration's declared backfill elsewhere than in this process (a deploy's Step Functions engine, past a
   * table size), while this run holds the lock; `inProcess` is the run it replaces, to fall back on. Not used by the
   * catch-up pass.
   */
  backfillEngine?: (run: BackfillRun) => Promise<BackfillResult>;
}

/** A migration's backfill, as an engine gets it: the migration, its declared spec, the lock's owner and signal. */
export interface BackfillRun {
  migration: string;
  spec: BackfillSpec;
  /** The migration lock's owner: workers check it, and fence their checkpoints on it. */
  owner: string;
  /** Aborted when this process loses the lock: the engine stops its run. */
  signal: AbortSignal;
  inProcess: () => Promise<BackfillResult>;
}

export interface Migrator {
  status(): Promise<MigrationStatus>;
  /** Applies pending migrations (up to and including `to`); returns the names applied. `dryRun` only lists them. */
  up(options?: { to?: string; dryRun?: boolean }): Promise<string[]>;
  /** Reverts `to` and every executed migration after it, newest first; returns the names reverted. */
  down(options: { to: string; dryRun?: boolean }): Promise<string[]>;
  /**
   * Runs the declared backfills of executed migrations once more (`only`:
   * of those names), without checkpoints: once the new code is live, their
   * filters find what the previous code wrote in the old shape after the
   * first pass. Under the lock, so that it never races a revert.
   */
  catchUp(options?: { only?: readonly string[] }): Promise<CatchUpResult[]>;
}

export type CatchUpResult = BackfillResult & { migration: string };

/** What umzug runs: `up`, then the declared backfill. */
function withBackfill(migration: Migration) {
  const { name, up, down, backfill: spec } = migration;
  if (!spec) return { name, up: up!, down };
  return {
    name,
    down,
    async up(params: { context: MigrationContext }) {
      await up?.(params);
      await params.context.backfill(spec);
    },
  };
}

/** Pending migrations up to and including `to`, in order. */
function pendingUpTo(pending: string[], to?: string): string[] {
  if (to === undefined) return pending;
  const end = pending.indexOf(to);
  if (end < 0) throw new ConfigError(`cannot migrate up to "${to}": it is not pending (pending: ${pending.join(", ") || "none"})`);
  return pending.slice(0, end + 1);
}

/** Executed migrations from the newest back to and including `to`. */
function executedDownTo(executed: string[], to: string): string[] {
  const start = executed.indexOf(to);
  if (start < 0) throw new ConfigError(`cannot migrate down to "${to}": it is not executed (executed: ${executed.join(", ") || "none"})`);
  return executed.slice(start).reverse();
}

/** What a run did, for the error that ends it: what it recorded, and which migration it was in. */
interface Progress {
  recorded: string[];
  running?: string | undefined;
}

/**
 * The context every migration of one run gets. The runner's own machinery (which migration runs, the lock's
 * fence) stays in the closure: a migration sees only its context. Outside a migration (the catch-up pass)
 * `progress.running` is unset, and a backfill keeps no checkpoints.
 */
function contextFor(options: MigratorOptions, lock: MigrationLock, signal: AbortSignal, progress: Progress): MigrationContext {
  const { client, documentClient, tableName, log = () => {} } = options;
  const base = { client, documentClient, tableName, log, signal };
  return {
    ...base,
    backfill: (spec) => {
      const inProcess = () => backfill({ ...base, ...spec, migration: progress.running, fence: lock.fenced, owner: lock.owner });
      return options.backfillEngine && progress.running
        ? options.backfillEngine({ migration: progress.running, spec, owner: lock.owner, signal, inProcess })
        : inProcess();
    },
    addGlobalSecondaryIndex: (index, { timeoutMs } = {}) => addGlobalSecondaryIndex({ ...base, index, ...(timeoutMs ? { timeoutMs } : {}) }),
    removeGlobalSecondaryIndex: (indexName, { timeoutMs } = {}) => removeGlobalSecondaryIndex({ ...base, indexName, ...(timeoutMs ? { timeoutMs } : {}) }),
  };
}

/** Logs each migration's start and end, checks the lock before each, and keeps `progress` current. */
function followProgress(umzug: Umzug<MigrationContext>, lock: MigrationLock, log: (message: string) => void, progress: Progress): void {
  const started = new Map<string, number>();
  const onStart = ({ name }: { name: string }, verb: string) => {
    lock.assertHeld();
    progress.running = name; // umzug runs one migration at a time, all with one context
    started.set(name, Date.now());
    log(`${verb} ${name}`);
  };
  const onEnd = ({ name }: { name: string }, verb: string) => {
    progress.recorded.push(name);
    progress.running = undefined;
    log(`${verb} ${name} (${Date.now() - (started.get(name) ?? Date.now())} ms)`);
  };
  umzug.on("migrating", (p) => onStart(p, "applying"));
  umzug.on("migrated", (p) => onEnd(p, "applied"));
  umzug.on("reverting", (p) => onStart(p, "reverting"));
  umzug.on("reverted", (p) => onEnd(p, "reverted"));
}

/**
 * umzug, loaded when a run starts (importing the runner, as the ops entry does, costs nothing until then). A bundle may
 * expose a CommonJS package's exports under `default` only, as esbuild's lazy chunk of umzug does: both shapes work.
 */
async function loadUmzug(): Promise<typeof import("umzug")> {
  const loaded = (await import("umzug")) as typeof import("umzug") & { default?: typeof import("umzug") };
  return typeof loaded.Umzug === "function" ? loaded : loaded.default!;
}

/** What translating `error` gives, or `error` itself when the translation throws: a fault there never hides the cause. */
function translatedOrOriginal(error: unknown, translate: () => unknown, log: (line: string) => void): unknown {
  try {
    return translate();
  } catch (fault) {
    log(
      `could not translate ${error instanceof Error ? error.name : "an error"} (${fault instanceof Error ? fault.message : String(fault)}); reporting it as it was`,
    );
    return error;
  }
}

/** umzug's and the lock's errors in our terms. */
function translated(
  error: unknown,
  options: MigratorOptions,
  lock: MigrationLock,
  progress: Progress,
  MigrationError: typeof import("umzug").MigrationError,
): unknown {
  const cause = error instanceof MigrationError ? error.cause : error;
  if (options.signal?.aborted && !lock.signal.aborted) return options.signal.reason;
  if (lock.signal.aborted || cause instanceof MigrationLockLostError) {
    return new MigrationLockLostError(options.tableName, lock.owner, {
      recorded: progress.recorded,
      ...(progress.running ? { interrupted: progress.running } : {}),
    });
  }
  if (error instanceof MigrationError) return new MigrationFailedError(options.tableName, error.migration.name, error.migration.direction, error.cause);
  return error;
}

/**
 * Runs `work` with a fresh umzug under the lock: records are fenced by it,
 * and migrations get its signal. Gives up (returns []) when `stillNeeded`
 * says so while it waits for the lock.
 */
async function underLock<T>(
  options: MigratorOptions,
  stillNeeded: () => Promise<boolean>,
  work: (umzug: Umzug<MigrationContext>, context: MigrationContext) => Promise<T[]>,
): Promise<T[]> {
  const { documentClient, tableName, migrations, log = () => {} } = options;
  const { Umzug, MigrationError } = await loadUmzug();
  const lock = migrationLock({ documentClient, tableName, log, ...options.lock });
  if (!(await lock.acquire({ giveUpWhen: async () => !(await stillNeeded()) }))) return [];
  const storage = dynamoMigrationStorage({ documentClient, tableName, lock });
  const signal = options.signal ? AbortSignal.any([lock.signal, options.signal]) : lock.signal;
  const progress: Progress = { recorded: [] };
  const context = contextFor(options, lock, signal, progress);
  try {
    await assertNoOrphanCheckpoints(
      documentClient,
      tableName,
      migrations.map((m) => m.name),
    );
    const umzug = new Umzug<MigrationContext>({ migrations: migrations.map(withBackfill), storage, context, logger: undefined });
    followProgress(umzug, lock, log, progress);
    return await work(umzug, context);
  } catch (error) {
    throw translatedOrOriginal(error, () => translated(error, options, lock, progress, MigrationError), log);
  } finally {
    await lock.release();
  }
}

export function migrator(options: MigratorOptions): Migrator {
  const { documentClient, tableName, migrations, log = () => {} } = options;
  validateMigrationIndex(migrations);
  const reader = dynamoMigrationStorage({ documentClient, tableName });
  const status = async () => migrationStatus(migrations, await reader.executed({ context: undefined }));

  return {
    status,

    async up({ to, dryRun = false } = {}) {
      const wanted = pendingUpTo((await status()).pending, to);
      if (dryRun || wanted.length === 0) return wanted;
      // Waiting for the lock may outlast the work: re-read what is pending before giving up or starting.
      const stillNeeded = async () => (await status()).pending.some((name) => wanted.includes(name));
      return underLock(options, stillNeeded, async (umzug) => (await umzug.up(to === undefined ? {} : { to })).map((m) => m.name));
    },

    async down({ to, dryRun = false }) {
      const wanted = executedDownTo((await status()).executed, to);
      if (dryRun) return wanted;
      const stillNeeded = async () => (await status()).executed.includes(to);
      return underLock(options, stillNeeded, async (umzug) => (await umzug.down({ to })).map((m) => m.name));
    },

    async catchUp({ only } = {}) {
      const unknown = only?.filter((name) => !migrations.some((m) => m.name === name && m.backfill));
      if (unknown?.length) throw new ConfigError(`no migration in the index declares a backfill named ${unknown.map((n) => `"${n}"`).join(", ")}`);
      const executed = new Set((await status()).executed);
      const wanted = migrations.filter((m) => m.backfill && executed.has(m.name) && (!only || only.includes(m.name)));
      if (wanted.length === 0) return [];
      return underLock(
        options,
        async () => true,
        async (_umzug, context) => {
          const results: CatchUpResult[] = [];
          for (const { name, backfill: spec } of wanted) {
            log(`catching up ${name}`);
            // No checkpoints (no migration is running): an interrupted catch-up scans again from the start.
            results.push({ migration: name, ...(await context.backfill(spec!)) });
          }
          return results;
        },
      );
    },
  };
}
