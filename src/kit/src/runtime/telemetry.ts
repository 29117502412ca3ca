/**
 * What a function tells the people who run it, with no SDK call and no agent:
 * JSON log lines that carry the invocation's correlation id, and CloudWatch
 * metrics as embedded-metric-format (EMF) fields of one line per invocation,
 * which CloudWatch Logs turns into metrics.
 *
 * Lines go to stdout directly, not through `console`: with Lambda's JSON log
 * format, `console.log` wraps a line in a `message` string, where CloudWatch
 * finds neither its fields nor its metrics.
 *
 * Levels come from the function's configuration (`LOG_LEVEL`, set from
 * `defineFunction({ logLevel })`; `info` by default). Below it, `debug` lines
 * are kept for the invocation and written only if it fails.
 *
 * Which invocation is current: where invocations run one at a time (Lambda,
 * unless it sets AWS_LAMBDA_MAX_CONCURRENCY), a variable, as the AWS SDK's own
 * invoke store does; anywhere else (the local API, tests, Lambda's
 * multi-concurrency) an AsyncLocalStorage, which follows each invocation
 * through its awaits so that concurrent ones keep their own lines, units and
 * tags. It costs promise hooks for the whole process (a few percent of a cold start),
 * so it is not paid where it buys nothing.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The request header a caller may set to name its request; echoed on the response. */
export const CORRELATION_HEADER = "x-correlation-id";
/** Letters, digits and `._:-`, 1 to 128: anything else is replaced by API Gateway's request id, never logged. */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** Debug lines kept per invocation at most; later ones are counted, not kept. */
export const MAX_BUFFERED_DEBUG_LINES = 100;

/** The metrics the kit emits, by what emits them: the alarms and dashboard of a deployment name only these. */
export const METRICS = {
  /** Every line's, also under the service alone: the DynamoDB capacity units its invocation consumed. */
  units: ["ReadUnits", "WriteUnits"],
  request: ["Requests", "Latency", "Errors4xx", "Errors5xx", "ReadUnits", "WriteUnits", "ColdStart"],
  streamBatch: ["Records", "RecordFailures", "IteratorAge"],
  scheduledRun: ["RunDuration", "RunSucceeded", "RunFailed"],
} as const;
export type MetricName = (typeof METRICS)[keyof typeof METRICS][number];
/** EMF units the kit uses. */
type Unit = "Count" | "Milliseconds";
const UNITS: Partial<Record<MetricName, Unit>> = { Latency: "Milliseconds", IteratorAge: "Milliseconds", RunDuration: "Milliseconds" };
/** The metrics' namespace when the function's environment sets none (METRICS_NAMESPACE). */
export const DEFAULT_METRICS_NAMESPACE = "DynamoDBStarter";

/** One invocation (a request, a stream record, a scheduled run): its correlation id and what it cost in DynamoDB. */
export interface Invocation {
  correlationId: string;
  /** DynamoDB calls made, and the read and write capacity units DynamoDB reported for them. */
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** Writes tagged with the correlation id so far: each write's tag is unique, so a consumer can tell its own. */
  writes: number;
  debug: string[];
  dropped: number;
}

interface Slot {
  get(): Invocation | undefined;
  run<T>(inv: Invocation, work: () => Promise<T>): Promise<T>;
}

function oneAtATime(): Slot {
  let current: Invocation | undefined;
  return {
    get: () => current,
    async run(inv, work) {
      current = inv;
      try {
        return await work();
      } finally {
        if (current === inv) current = undefined;
      }
    },
  };
}

function perAsyncContext(): Slot {
  const storage = new AsyncLocalStorage<Invocation>();
  return { get: () => storage.getStore(), run: (inv, work) => storage.run(inv, work) };
}

const invocations: Slot =
  process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined && !("AWS_LAMBDA_MAX_CONCURRENCY" in process.env) ? oneAtATime() : perAsyncContext();
export const currentInvocation = (): Invocation | undefined => invocations.get();

/** Whether this process writes telemetry: inside Lambda, or where TELEMETRY=on asks for it (a local deployment). */
export const telemetryOn = (): boolean => process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined || process.env.TELEMETRY === "on";

export const DEFAULT_LOG_LEVEL: LogLevel = "info";
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

function configuredLevel(): LogLevel {
  const level = (process.env.LOG_LEVEL ?? DEFAULT_LOG_LEVEL).toLowerCase();
  return level in RANK ? (level as LogLevel) : DEFAULT_LOG_LEVEL;
}

/**
 * Where lines go: stdout, one JSON document per line, where telemetry is on (elsewhere, in tests and scripts, they
 * would only be noise: TELEMETRY=on shows them). Tests catch them with `captureTelemetry` of /testing.
 */
export let writeLine = (line: string): void => void (telemetryOn() && process.stdout.write(`${line}\n`));
export const setLineWriter = (write: (line: string) => void): (() => void) => {
  const previous = writeLine;
  writeLine = write;
  return () => void (writeLine = previous);
};

/**
 * A log line: `{ timestamp, level, correlationId, message, ...fields }`. Fields are the caller's: never put a
 * request's body, a token or a secret in them.
 */
function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  const current = invocations.get();
  const line = JSON.stringify({ timestamp: new Date().toISOString(), level, ...(current ? { correlationId: current.correlationId } : {}), message, ...fields });
  if (RANK[level] >= RANK[configuredLevel()]) return writeLine(line);
  if (level !== "debug" || !current) return;
  if (current.debug.length < MAX_BUFFERED_DEBUG_LINES) current.debug.push(line);
  else current.dropped++;
}

/** The app's and the kit's log, bound to the current invocation. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
};

/** The correlation id a caller sent, when well-formed; `fallback` (the platform's request id) otherwise. */
export function correlationIdFrom(sent: string | undefined, fallback: string): string {
  return sent !== undefined && CORRELATION_ID_PATTERN.test(sent) ? sent : fallback;
}

/** Runs `work` as the current invocation; on failure (`failed` of its result, or a throw) writes its buffered debug lines. */
export async function invocation<T>(correlationId: string, work: (inv: Invocation) => Promise<T>, failed: (result: T) => boolean = () => false): Promise<T> {
  const inv: Invocation = { correlationId, requests: 0, readUnits: 0, writeUnits: 0, writes: 0, debug: [], dropped: 0 };
  let ok = false;
  try {
    const result = await invocations.run(inv, () => work(inv));
    ok = !failed(result);
    return result;
  } finally {
    if (!ok) flushDebug(inv);
  }
}

function flushDebug(inv: Invocation): void {
  for (const line of inv.debug) writeLine(line);
  if (inv.dropped) writeLine(JSON.stringify({ level: "debug", correlationId: inv.correlationId, message: `${inv.dropped} more debug line(s) dropped` }));
  inv.debug = [];
}

/**
 * One line that is both a log line and, for CloudWatch, metrics: the EMF `_aws` metadata names `metrics` under
 * `dimensions` (the service and what ran: a route, a function) in the function's namespace, and the invocation's
 * DynamoDB units under the service alone as well, where every function's add up to the table's load; `properties`
 * are searchable fields that are not metrics.
 */
export function metricLine(
  type: string,
  dimensions: { Service: string } & Record<string, string>,
  metrics: Partial<Record<MetricName, number>>,
  properties: Record<string, unknown> = {},
  inv: Pick<Invocation, "readUnits" | "writeUnits"> | undefined = invocations.get(),
): Record<string, unknown> {
  const Namespace = process.env.METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE;
  // A unit only where it is not a count: every byte of the line is ingested, for each invocation.
  const definitions = (names: string[]) => names.map((Name) => (UNITS[Name as MetricName] ? { Name, Unit: UNITS[Name as MetricName] } : { Name }));
  const units = { ReadUnits: inv?.readUnits ?? 0, WriteUnits: inv?.writeUnits ?? 0 };
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace, Dimensions: [Object.keys(dimensions)], Metrics: definitions(Object.keys(metrics)) },
        { Namespace, Dimensions: [["Service"]], Metrics: definitions(Object.keys(units)) },
      ],
    },
    level: "info",
    type,
    ...dimensions,
    ...units,
    ...metrics,
    ...properties,
  };
}

export const emit = (line: Record<string, unknown>): void => writeLine(JSON.stringify(line));

/** The dimensions every metric line has: the service (its deployment) and, for stream and scheduled functions, the function. */
export const serviceName = (): string => process.env.SERVICE_NAME || process.env.AWS_LAMBDA_FUNCTION_NAME || "local";
