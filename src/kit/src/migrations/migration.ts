/**
 * What a migration is. Migrations are plain modules listed in an explicit,
 * ordered index (`src/app/migrations/index.ts`): bundlers cannot glob, and the
 * order must never depend on the file system.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { BackfillResult, BackfillSpec } from "../data/backfill";
import type { IndexDefinition } from "../table/globalSecondaryIndex";
import { ConfigError } from "../errors";

export interface MigrationContext {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  log: (message: string) => void;
  /**
   * Aborted when this process loses the migration lock (another process
   * took over after its heartbeats stopped). Long work checks it between
   * steps (`signal.throwIfAborted()`); backfill and the index helpers take it.
   */
  signal: AbortSignal;
  /**
   * Rewrites items of the table (data/backfill.ts), bound to this run:
   * checkpointed under this migration, checkpoints fenced by the lock, stopped
   * by `signal`. Call it from `down` (or from `up`)
   * rather than importing `backfill`, so that the helper stays out of the
   * Lambda's cold-start bundle, which loads every migration's code.
   */
  backfill(spec: BackfillSpec): Promise<BackfillResult>;
  /**
   * Adds a global secondary index to this table and waits until it is ACTIVE and done backfilling (idempotent:
   * an index that exists or is being built is waited for), bound to this run's client, log and signal. Like
   * `backfill`, it reaches a migration through its context so that the helper stays out of the cold start.
   */
  addGlobalSecondaryIndex(index: IndexDefinition, options?: { timeoutMs?: number }): Promise<void>;
  /** Removes a global secondary index of this table and waits until it is gone (idempotent). */
  removeGlobalSecondaryIndex(indexName: string, options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * One migration. `up` may be interrupted halfway (a crash, a throttle), in
 * which case it runs again from the start: write it so a re-run is harmless
 * (conditional writes, puts of whole items). `down` undoes exactly what `up` did.
 *
 * `backfill` declares a data rewrite the runner performs after `up` (if
 * any): declared rather than called from `up`, so that the deploy can run it
 * once more after the new code is live (`catchUp`), for the items the
 * previous code wrote in the old shape meanwhile. Its filter must find
 * exactly those. Interrupted, it resumes from its checkpoints instead of
 * starting again.
 *
 * `kind` says what the release still serving (the previous code) makes of it.
 * An `"expand"` (the default) only adds what the new code needs and the old
 * code ignores: a deploy applies it before the new code takes traffic. A
 * `"contract"` removes or rewrites what the previous release reads: a deploy
 * applies it only once the new code takes all traffic and the previous
 * code's last invocations are over, and a rollback past it is refused.
 */
export interface Migration {
  name: string;
  kind?: MigrationKind;
  up?(params: { context: MigrationContext }): Promise<void>;
  backfill?: BackfillSpec;
  down(params: { context: MigrationContext }): Promise<void>;
}

export type MigrationKind = "expand" | "contract";

export const isContract = (migration: Pick<Migration, "kind">) => migration.kind === "contract";

/**
 * The pending migrations a deploy applies before the new code takes traffic (`before`: each expand up to the first
 * contract), and those it applies after (`after`: that contract and everything after it, in order: an expand that
 * follows a contract may build on it).
 */
export function splitAtContract(migrations: readonly Migration[], pending: readonly string[]): { before: string[]; after: string[] } {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const first = pending.findIndex((name) => byName.get(name) && isContract(byName.get(name)!));
  return first < 0 ? { before: [...pending], after: [] } : { before: pending.slice(0, first), after: pending.slice(first) };
}

/** Throws on an index that would leave the migration state ambiguous: empty or repeated names. */
export function validateMigrationIndex(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const [i, m] of migrations.entries()) {
    if (!m.name) throw new ConfigError(`migration at position ${i} of the migration index has no name`);
    if (!m.up && !m.backfill) throw new ConfigError(`migration "${m.name}" has neither up nor backfill: it would do nothing`);
    if (seen.has(m.name)) throw new ConfigError(`migration "${m.name}" appears twice in the migration index; names must be unique`);
    if (m.kind !== undefined && m.kind !== "expand" && m.kind !== "contract")
      throw new ConfigError(`migration "${m.name}" has kind "${String(m.kind)}": a migration is an "expand" (the default) or a "contract"`);
    seen.add(m.name);
  }
}
