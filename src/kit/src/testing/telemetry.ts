/**
 * The lines a function writes (telemetry.ts), caught in the test's process
 * instead of stdout, parsed: log lines and metric lines alike.
 */
import { setLineWriter } from "../runtime/telemetry";

export interface CapturedTelemetry {
  /** Every line so far, parsed. */
  readonly lines: Record<string, unknown>[];
  /** Every line so far, as written. */
  readonly raw: string[];
  /** Lines of one `type` (request, stream-record, stream-batch, scheduled-run). */
  ofType(type: string): Record<string, unknown>[];
  /** Writes to stdout again. */
  stop(): void;
}

/** Catches what the kit would write, from now until `stop()`; set TELEMETRY=on (or AWS_LAMBDA_FUNCTION_NAME) for request lines. */
export function captureTelemetry(): CapturedTelemetry {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const stop = setLineWriter((line) => {
    raw.push(line);
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { raw, lines, ofType: (type) => lines.filter((l) => l.type === type), stop };
}
