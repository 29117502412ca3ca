/**
 * Every error this library throws on purpose. Each message says what
 * happened, why, and the command that fixes it.
 */

/** Base class, so callers can tell our errors from SDK and network errors. */
export class StarterError extends Error {
  override name = "StarterError";
}

export class ConfigError extends StarterError {
  override name = "ConfigError";
}

export class TableNotFoundError extends StarterError {
  override name = "TableNotFoundError";
  constructor(readonly tableName: string) {
    super(
      `table "${tableName}" does not exist. Create it and apply migrations with "make migrate" ` +
        `(or "make deploy", whose pre-step does both), or check TABLE_NAME and the region.`,
    );
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
    super(`table "${tableName}" is ${status}: ${detail}`);
  }
}

export class PendingMigrationsError extends StarterError {
  override name = "PendingMigrationsError";
  constructor(
    readonly tableName: string,
    readonly pending: readonly string[],
  ) {
    super(
      `table "${tableName}" has ${pending.length} pending migration(s): ${pending.join(", ")}. ` +
        `This process does not apply migrations; run "make migrate" (or "make deploy", whose pre-step applies them) and retry.`,
    );
  }
}

export class MigrationLockTimeoutError extends StarterError {
  override name = "MigrationLockTimeoutError";
  constructor(
    readonly tableName: string,
    readonly holder: string,
    readonly expiresAt: number,
  ) {
    super(
      `gave up waiting for the migration lock on table "${tableName}": held by ${holder} until ` +
        `${new Date(expiresAt).toISOString()}. If that process is still migrating, wait and retry; if it died, ` +
        `its lease expires by itself at that time (or run "make migrate-unlock" to release it now).`,
    );
  }
}

export class MigrationLockLostError extends StarterError {
  override name = "MigrationLockLostError";
  constructor(
    readonly tableName: string,
    readonly owner: string,
  ) {
    super(
      `lost the migration lock on table "${tableName}" (owner ${owner}): the lease could not be renewed in time, ` +
        `so another process may take over. Remaining migrations were not started; run "make migrate" again.`,
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
      `migration "${migration}" (${direction}) failed on table "${tableName}": ${why}. ` +
        `It was not recorded as ${direction === "up" ? "executed" : "reverted"} and the lock was released; ` +
        `fix the migration and run "make migrate" again (migrations must be safe to re-run after a partial failure).`,
      { cause },
    );
  }
}

/** True for the SDK's "no such table" error, whichever operation raised it. */
export function isResourceNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === "ResourceNotFoundException";
}

/** True for a failed ConditionExpression. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
