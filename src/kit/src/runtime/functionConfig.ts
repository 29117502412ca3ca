/**
 * Every module in src/handlers/ is a Lambda function: it exports its
 * `handler` and, as `config`, how it is triggered and what it may do. The
 * build, the infrastructure, the functions' roles, the permission check and
 * the local deployment all read these; nothing is listed twice.
 *
 *   export const config = defineFunction({ trigger: { schedule: { expression: "rate(1 day)" } }, dynamodbActions: ["Query"] });
 */

import type { LogLevel } from "./telemetry";

/** A consumer of the table's stream (an event source mapping reporting partial batch failures). */
export interface StreamTrigger {
  /** Records per invocation, at most 10,000 (1 to 1,000 is usual). */
  batchSize: number;
  /** Tries after the first before a record goes to the failure destination (a queue on AWS, a file locally). */
  maximumRetryAttempts: number;
  /** Records older than this go to the failure destination unprocessed (60 to 604,800 s). */
  maximumRecordAgeSeconds: number;
  /** How long Lambda gathers records before invoking (0 to 300 s); 0 by default. */
  maximumBatchingWindowSeconds?: number;
}

/** A job run by EventBridge Scheduler (and on demand, locally). */
export interface ScheduleTrigger {
  /** `rate(1 day)`, `rate(15 minutes)`, or `cron(0 3 * * ? *)`. */
  expression: string;
  /** IANA time zone of a cron expression; UTC by default. */
  timezone?: string;
}

export type Trigger = { http: true } | { stream: StreamTrigger } | { schedule: ScheduleTrigger };

/** The DynamoDB actions a function may be granted: data-plane calls, and DescribeTable (connect() explains a failed check with it). */
export type DynamoDBAction =
  "BatchGetItem" | "BatchWriteItem" | "ConditionCheckItem" | "DeleteItem" | "DescribeTable" | "GetItem" | "PutItem" | "Query" | "Scan" | "UpdateItem";

export interface FunctionConfig {
  trigger: Trigger;
  /**
   * Exactly the DynamoDB actions this function sends, connect()'s DescribeTable and Query included (a transaction needs
   * the action of each of its items). Its role is granted these and no others; the permission check compares them
   * with what the function really sends.
   */
  dynamodbActions: readonly DynamoDBAction[];
  /** Overrides the deployment's `lambda.timeoutSeconds` (an HTTP function stays within 30 s). */
  timeoutSeconds?: number;
  /** Overrides the deployment's `lambda.memoryMb`. */
  memoryMb?: number;
  /** The lowest level of log line written as it happens ("info" by default); below it, debug lines are written only when an invocation fails. */
  logLevel?: LogLevel;
}

/** Types a handler module's `config`. */
export const defineFunction = <const C extends FunctionConfig>(config: C): C => config;
