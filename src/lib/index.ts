/**
 * The library: everything a team keeps when it replaces the example app.
 * It never imports the app. Lambda code imports from here; esbuild drops
 * what a handler does not use, and the migration runner (with umzug) is
 * loaded by connect() through import() only when something is pending.
 * Migration-time tools (the lock, backfills) have their own entry, tools.ts,
 * so that they never reach a handler's cold start; what tests and local tools
 * need (request counting, API Gateway events) has testing.ts.
 */
export * from "./errors";
export * from "./contract";
export * from "./table/keySchema";
export * from "./table/describeTable";
export * from "./table/ensureTable";
export * from "./table/reconcileTable";
export * from "./table/globalSecondaryIndex";
export * from "./migrations/migration";
export * from "./migrations/migrationStatus";
export * from "./migrations/migrationStorage";
export * from "./runtime/config";
export * from "./runtime/clients";
export * from "./runtime/connect";
export * from "./runtime/requestMeter";
export * from "./data/backoff";
export * from "./data/batchWrite";
export * from "./data/writeBudget";
export * from "./http/errors";
export * from "./http/validate";
export * from "./http/exactJson";
export * from "./http/request";
export * from "./http/response";
export * from "./http/router";
export * from "./http/caller";
export * from "./http/cursor";
export * from "./http/apiHandler";
