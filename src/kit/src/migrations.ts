/**
 * What a migration module imports: the types a migration is made of and the
 * errors it may catch. The handler imports the app's migration list
 * (connect() checks it at every cold start), so what a migration imports is
 * part of every cold start: the runner, the lock, the backfill machinery and
 * the index helpers reach a migration through its context instead
 * (`context.backfill`, `context.addGlobalSecondaryIndex`). The standalone index
 * helpers below load their code with import() when called, for the same reason.
 */
export type { Migration, MigrationContext, MigrationKind } from "./migrations/migration";
export type { BackfillSpec } from "./data/backfill";
export type { Item, Transform, Filter } from "./data/itemRewrite";
import type * as indexes from "./table/globalSecondaryIndex";
export type { IndexDefinition, IndexOptions } from "./table/globalSecondaryIndex";

// Not re-exported: a re-export puts the module in the cold-start chunk of every bundle that imports this entry.
// Loaded through the runner's chunk (which holds them for the context's helpers): a chunk of their own would split
// the bundle into more chunks, and the cold start pays for every chunk's imports and exports.
export const addGlobalSecondaryIndex: typeof indexes.addGlobalSecondaryIndex = async (options) =>
  (await import("./migrations/migrationRunner")).addGlobalSecondaryIndex(options);
export const removeGlobalSecondaryIndex: typeof indexes.removeGlobalSecondaryIndex = async (options) =>
  (await import("./migrations/migrationRunner")).removeGlobalSecondaryIndex(options);
export { batchWriteAll, type WriteRequest } from "./data/batchWrite";
export { StarterError, isConditionalCheckFailed, cancellationReasons } from "./errors";
