/**
 * What a migration module imports: the types a migration is made of, the
 * index helpers and the errors it may catch. The handler imports the app's
 * migration list (connect() checks it at every cold start), so this entry is
 * part of every cold start and stays small: the runner, the lock and the
 * backfill machinery are in /ops, and reach a migration through its context.
 */
export type { Migration, MigrationContext, MigrationKind } from "./migrations/migration";
export type { BackfillSpec } from "./data/backfill";
export type { Item, Transform, Filter } from "./data/itemRewrite";
export { addGlobalSecondaryIndex, removeGlobalSecondaryIndex, type IndexDefinition } from "./table/globalSecondaryIndex";
export { batchWriteAll, type WriteRequest } from "./data/batchWrite";
export { StarterError, isConditionalCheckFailed, cancellationReasons } from "./errors";
