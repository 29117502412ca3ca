/**
 * What a deploy's pre-step and the tools around migrations import, and a
 * handler never does: the table pre-step (create, reconcile settings, wait),
 * the migration runner with its lock, status and catch-up, and backfills with
 * their checkpoints. connect() loads the runner lazily, only when something
 * is pending.
 */
export { migrator, type Migrator, type MigratorOptions, type CatchUpResult, type BackfillRun } from "./migrations/migrationRunner";
export { migrationStatus, type MigrationStatus } from "./migrations/migrationStatus";
export { splitAtContract, isContract } from "./migrations/migration";
export { migrationLock, type MigrationLock, type MigrationLockOptions, type LockHolder, type LockCondition } from "./migrations/migrationLock";
export { dynamoMigrationStorage, type MigrationStorageOptions } from "./migrations/migrationStorage";
export { ensureTable, type EnsureTableOptions, type EnsureTableResult } from "./table/ensureTable";
export {
  reconcileTable,
  type TableSettings,
  type SettingReport,
  type SettingStatus,
  type Encryption,
  type ReconcileOptions,
  type StreamViewType,
} from "./table/reconcileTable";
export { describeTable } from "./table/describeTable";
export { EXPECTED_KEY_SCHEMA, createTableInput } from "./table/keySchema";
export { backfill, type BackfillSpec, type BackfillOptions, type BackfillResult } from "./data/backfill";
export { readCheckpoints, type Checkpoint } from "./data/backfillCheckpoints";
export { createBackfillWorker, type BackfillTask, type BackfillTaskResult, type BackfillWorkerOptions } from "./data/backfillWorker";
export { pollUntil, type PollOptions, type PollResult } from "./data/backoff";
export {
  MigrationAlreadyRecordedError,
  MigrationFailedError,
  MigrationLockLostError,
  MigrationLockTimeoutError,
  PendingMigrationsError,
  ItemRewriteError,
  TableKeySchemaMismatchError,
  TableNotReadyError,
  UnprocessedItemsError,
  WaitTimeoutError,
} from "./errors";
