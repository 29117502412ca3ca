/**
 * What a Lambda handler imports, and all that can reach its cold start:
 * connect() and its clients and config, the HTTP API handler with its router,
 * callers, validation, responses and cursors, the error classes, and the
 * types a migration list is made of, the stream consumer, and what a handler
 * module's `config` says (defineFunction). connect() loads the migration runner
 * (and umzug) with import() only when a migration is pending.
 */
export * from "./errors";
export { PARTITION_KEY, SORT_KEY, MIGRATIONS_PARTITION } from "./table/keySchema";
export { LOCAL_REGION, TABLE_NAME_PATTERN, TABLE_NAME_RULE, configFromEnv, configWith, isLocalEndpoint, type DynamoConfig } from "./runtime/config";
export { createClient, createDocumentClient, type ClientOptions } from "./runtime/clients";
export {
  log,
  CORRELATION_HEADER,
  METRICS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_METRICS_NAMESPACE,
  LOG_LEVELS,
  MAX_BUFFERED_DEBUG_LINES,
  type LogLevel,
  type MetricName,
} from "./runtime/telemetry";
export { CORRELATION_ATTRIBUTE } from "./runtime/requestMeter";
export { connect, type Connection, type ConnectOptions, type OnPending } from "./runtime/connect";
export { defineFunction, type FunctionConfig, type Trigger, type StreamTrigger, type ScheduleTrigger, type DynamoDBAction } from "./runtime/functionConfig";
export type { Migration, MigrationContext, MigrationKind } from "./migrations/migration";
export { batchWriteAll, type WriteRequest } from "./data/batchWrite";
export { createApiHandler, apiRouteTable, type ApiDefinition, type ApiHandler, type ApiHandlerOptions } from "./http/apiHandler";
export {
  createRouter,
  routeTable,
  type Routes,
  type RouteEntry,
  type RouteHandler,
  type RouteRequest,
  type RouteSpec,
  type RouteAccess,
  type Result,
} from "./http/router";
export { callerOf, forbidden, unauthenticated, type Caller } from "./http/caller";
export { HttpError, toHttpError, type ErrorMapping } from "./http/errors";
export { jsonBody, parse, MAX_BODY_BYTES } from "./http/request";
export { json } from "./http/response";
export {
  route,
  lazySchema,
  isDeclared,
  type LazySchema,
  type DeclaredRoute,
  type DeclaredRequest,
  type RouteReply,
  type Responses,
  type RouteDeclaration,
} from "./http/route";
export { validate, type Issue } from "./http/validate";
export { exactJsonObject, exactJsonIssues, MAX_JSON_DEPTH, type JsonPath } from "./http/exactJson";
export { encodeCursor, decodeCursor } from "./http/cursor";
export {
  createStreamHandler,
  toChange,
  streamMarkerPartition,
  RESERVED_PARTITION_PREFIX,
  type StreamChange,
  type StreamWrite,
  type StreamHandler,
  type StreamHandlerDefinition,
} from "./stream/streamHandler";
export { createScheduledHandler, type ScheduledHandler, type ScheduledJobDefinition } from "./schedule/scheduledHandler";
