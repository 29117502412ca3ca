/**
 * A job run on a schedule (EventBridge Scheduler, or any caller that
 * invokes it on demand). The app writes what a run does; the
 * kit connects (checking the table once per cold start, as every handler
 * does) and makes the run an invocation of telemetry.ts: its correlation id
 * is Lambda's request id, its lines carry it, and it ends with one line that
 * is its metrics (duration, succeeded or failed). A run that throws fails
 * the invocation, so Lambda's error alarm and retries see it.
 */
import type { Context } from "aws-lambda";
import type { Migration } from "../migrations/migration";
import { connect, type Connection } from "../runtime/connect";
import { emit, invocation, log, metricLine, serviceName } from "../runtime/telemetry";
import { errorFields } from "../errorLog";

export interface ScheduledJobDefinition<T> {
  /** The app's migration index: connect() checks it once per cold start, as the API's handler does. */
  migrations: readonly Migration[];
  /** One run. Throw to fail it; what it returns is logged by the caller only if the caller logs it. */
  run(connection: Connection, job: { timeLeftMs(): number; log: typeof log }): Promise<T>;
}

export type ScheduledHandler<T> = (
  event: unknown,
  context?: Partial<Pick<Context, "awsRequestId" | "functionName" | "getRemainingTimeInMillis">>,
) => Promise<T>;

export function createScheduledHandler<T>({ migrations, run }: ScheduledJobDefinition<T>): ScheduledHandler<T> {
  return (_event, context) => {
    const name = context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "scheduled";
    const correlationId = context?.awsRequestId ?? `run:${Date.now().toString(36)}`;
    return invocation(correlationId, async () => {
      const started = performance.now();
      const outcome = (succeeded: boolean) => {
        const duration = Math.round((performance.now() - started) * 100) / 100;
        emit(
          metricLine(
            "scheduled-run",
            { Service: serviceName(), Function: name },
            { RunDuration: duration, RunSucceeded: succeeded ? 1 : 0, RunFailed: succeeded ? 0 : 1 },
            { correlationId },
          ),
        );
      };
      try {
        const result = await run(await connect({ migrations }), { timeLeftMs: () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY, log });
        outcome(true);
        return result;
      } catch (error) {
        log.error("scheduled run failed", errorFields(error));
        outcome(false);
        throw error;
      }
    });
  };
}
