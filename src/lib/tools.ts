/**
 * The library's second entry: what migration runs, the deploy pre-step and
 * the CLI use, and a Lambda handler never does (the migration lock,
 * backfills and their checkpoints).
 *
 * Kept out of index.ts on purpose. esbuild splits code by which modules an
 * entry can reach, so anything index.ts re-exports that the lazily loaded
 * migration runner also uses lands in a chunk the handler loads at every cold
 * start. Migrations reach backfill through their context
 * (`context.backfill(...)`, or a declared `backfill`), not through an import.
 * The migration runner itself (it loads umzug) is imported on its own:
 * src/lib/migrations/migrationRunner.ts.
 */
export * from "./migrations/migrationLock";
export * from "./data/backfill";
export * from "./data/backfillCheckpoints";
export * from "./data/itemRewrite";
