/**
 * Every error the library throws on purpose. Each has a typed `code` to
 * branch on and a message that says what happened and why. Messages stay
 * neutral about how the project is run: whoever runs the library (a command
 * line, say) adds the command that fixes it.
 */

export type ErrorCode =
  | "CONFIG"
  | "TABLE_NOT_FOUND"
  | "TABLE_KEY_SCHEMA_MISMATCH"
  | "TABLE_NOT_READY"
  | "PENDING_MIGRATIONS"
  | "MIGRATION_ALREADY_RECORDED"
  | "MIGRATION_LOCK_TIMEOUT"
  | "MIGRATION_LOCK_LOST"
  | "MIGRATION_FAILED"
  | "BACKFILL_ITEM"
  | "UNPROCESSED_ITEMS"
  | "WAIT_TIMEOUT"
  | "INVALID_CURSOR"
  | "HTTP";

/**
 * Base class, so callers can tell our errors from SDK and network errors, and branch on `code`.
 * Tools built on the library extend it with codes of their own (`StarterError<"MY_TOOL_ERROR">`).
 */
export class StarterError<Code extends string = ErrorCode> extends Error {
  override name = "StarterError";
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends StarterError {
  override name = "ConfigError";
  constructor(message: string) {
    super("CONFIG", message);
  }
}

export class TableNotFoundError extends StarterError {
  override name = "TableNotFoundError";
  constructor(readonly tableName: string) {
    super("TABLE_NOT_FOUND", `table "${tableName}" does not exist. Create it and apply migrations with the pre-step, or check TABLE_NAME and the region.`);
  }
}

export class TableKeySchemaMismatchError extends StarterError {
  override name = "TableKeySchemaMismatchError";
  constructor(
    readonly tableName: string,
    readonly actual: string,
    readonly expected: string,
  ) {
    super(
      "TABLE_KEY_SCHEMA_MISMATCH",
      `table "${tableName}" has key ${actual}; this template expects ${expected}. ` +
        `Nothing was changed. Use another table name or migrate the data to a table with the expected key.`,
    );
  }
}

export class TableNotReadyError extends StarterError {
  override name = "TableNotReadyError";
  constructor(
    readonly tableName: string,
    readonly status: string,
    detail: string,
  ) {
    super("TABLE_NOT_READY", `table "${tableName}" is ${status}: ${detail}`);
  }
}

export class PendingMigrationsError extends StarterError {
  override name = "PendingMigrationsError";
  constructor(
    readonly tableName: string,
    readonly pending: readonly string[],
  ) {
    super(
      "PENDING_MIGRATIONS",
      `table "${tableName}" has ${pending.length} pending migration(s): ${pending.join(", ")}. ` +
        `This process does not apply migrations; apply them with the pre-step (or the migrate CLI) and retry.`,
    );
  }
}

export class MigrationAlreadyRecordedError extends StarterError {
  override name = "MigrationAlreadyRecordedError";
  constructor(
    readonly tableName: string,
    readonly migration: string,
  ) {
    super(
      "MIGRATION_ALREADY_RECORDED",
      `migration "${migration}" is already recorded as executed on table "${tableName}": another process ran it concurrently`,
    );
  }
}

export class MigrationLockTimeoutError extends StarterError {
  override name = "MigrationLockTimeoutError";
  constructor(
    readonly tableName: string,
    readonly holder: string,
    readonly leaseMs: number,
  ) {
    super(
      "MIGRATION_LOCK_TIMEOUT",
      `gave up waiting for the migration lock on table "${tableName}": held by ${holder}, which keeps renewing it. ` +
        `If that process is still migrating, wait and retry; if it died, others take over ${Math.round(leaseMs / 1000)} s ` +
        `after its last heartbeat (or release the lock by hand now).`,
    );
  }
}

export class MigrationLockLostError extends StarterError {
  override name = "MigrationLockLostError";
  constructor(
    readonly tableName: string,
    readonly owner: string,
    /** What this process recorded before it lost the lock, and the migration it was in the middle of, if any. */
    readonly progress: { recorded: readonly string[]; interrupted?: string } = { recorded: [] },
  ) {
    const recorded = progress.recorded.length ? `recorded before that: ${progress.recorded.join(", ")}` : "nothing was recorded by this run";
    const interrupted = progress.interrupted
      ? `; "${progress.interrupted}" was interrupted and not recorded (it runs again, from the start, on the next run)`
      : "";
    super(
      "MIGRATION_LOCK_LOST",
      `lost the migration lock on table "${tableName}" (owner ${owner}): its heartbeats stopped for a whole lease, ` +
        `or another process took it over. This process stopped and records nothing more: ${recorded}${interrupted}. ` +
        `Whoever holds the lock now carries on; run the migrations again if nobody does.`,
    );
  }
}

export class MigrationFailedError extends StarterError {
  override name = "MigrationFailedError";
  constructor(
    readonly tableName: string,
    readonly migration: string,
    readonly direction: "up" | "down",
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      "MIGRATION_FAILED",
      `migration "${migration}" (${direction}) failed on table "${tableName}": ${why}. ` +
        `It was not recorded as ${direction === "up" ? "executed" : "reverted"} and the lock was released; ` +
        `fix the migration and run the migrations again (migrations must be safe to re-run after a partial failure).`,
      { cause },
    );
  }
}

/** An item a backfill could not rewrite: it kept changing, or holds a value that does not compare equal after a round trip. */
export class ItemRewriteError extends StarterError {
  override name = "ItemRewriteError";
  constructor(
    readonly key: Record<string, unknown>,
    why: string,
  ) {
    super("BACKFILL_ITEM", `the backfill could not rewrite item ${JSON.stringify(key)}: ${why}. Nothing of it was written; the backfill can be run again.`);
  }
}

export class UnprocessedItemsError extends StarterError {
  override name = "UnprocessedItemsError";
  constructor(
    readonly unprocessed: number,
    attempts: number,
  ) {
    super("UNPROCESSED_ITEMS", `${unprocessed} write request(s) still unprocessed after ${attempts} attempts; the table is throttling. Retry later.`);
  }
}

export class WaitTimeoutError extends StarterError {
  override name = "WaitTimeoutError";
  constructor(
    readonly what: string,
    readonly elapsedMs: number,
    readonly lastStatus: string,
  ) {
    super("WAIT_TIMEOUT", `timed out after ${Math.round(elapsedMs / 1000)} s waiting for ${what} (last status: ${lastStatus})`);
  }
}

export class InvalidCursorError extends StarterError {
  override name = "InvalidCursorError";
  constructor() {
    super("INVALID_CURSOR", "cursor is invalid, was altered, or belongs to another list; start again without it");
  }
}

/** True for the SDK's "no such table" error, whichever operation raised it. */
export function isResourceNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === "ResourceNotFoundException";
}

/** The code of each action of a cancelled TransactWriteItems ("None", "ConditionalCheckFailed", ...), or undefined for any other error. */
export function cancellationReasons(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== "TransactionCanceledException") return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.map((r) => r.Code ?? "None");
}

/** True for a failed ConditionExpression. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
