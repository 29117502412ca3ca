/**
 * The kit's log lines in the local deployment's log files: read back as JSON (make cost, the checks), and shown as a
 * person reads them in a terminal (`make dev`, `make logs` of the local deployment): a
 * request in one short line (route, status, time, DynamoDB units, correlation id) instead of its embedded-metric JSON.
 * The files keep the JSON as CloudWatch would get it; any line that is not the kit's passes through as it is.
 */
import { readFileSync } from "node:fs";

/** The JSON lines of a log file from byte `from` on; other lines (a runtime's own words) are skipped. */
export function jsonLines(file: string, from = 0): Record<string, unknown>[] {
  const text = readFileSync(file).subarray(from).toString("utf8");
  return text.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

const time = (line: Record<string, unknown>) => {
  const at =
    typeof line.timestamp === "string"
      ? new Date(line.timestamp)
      : typeof (line._aws as { Timestamp?: number })?.Timestamp === "number"
        ? new Date((line._aws as { Timestamp: number }).Timestamp)
        : undefined;
  return at && !Number.isNaN(at.getTime()) ? at.toISOString().slice(11, 23) : "";
};
const id = (line: Record<string, unknown>) => (typeof line.correlationId === "string" ? `  [${line.correlationId}]` : "");
const KNOWN = new Set(["_aws", "timestamp", "level", "message", "correlationId", "type", "Service"]);

/** One line, readable; `undefined` for a line that is not JSON (print it as it is). */
export function readableLine(text: string): string | undefined {
  if (!text.startsWith("{")) return undefined;
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const at = time(line);
  switch (line.type) {
    case "request":
      return `${at} ${String(line.Route)} ${String(line.status)} ${String(line.Latency)} ms  units r${String(line.ReadUnits)} w${String(line.WriteUnits)}${line.ColdStart ? "  cold start" : ""}${id(line)}`;
    case "stream-batch":
      return `${at} ${String(line.Function)}: batch of ${String(line.Records)}, ${String(line.RecordFailures)} failed${line.IteratorAge === undefined ? "" : `, iterator age ${String(line.IteratorAge)} ms`}`;
    case "scheduled-run":
      return `${at} ${String(line.Function)}: run ${line.RunFailed ? "FAILED" : "succeeded"} in ${String(line.RunDuration)} ms${id(line)}`;
  }
  if (typeof line.level !== "string") return undefined;
  const rest = Object.fromEntries(Object.entries(line).filter(([k]) => !KNOWN.has(k)));
  const fields = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
  return `${at} ${line.level.toUpperCase()} ${typeof line.message === "string" ? line.message : ""}${fields}${id(line)}`.trim();
}

/** A writer of chunks (a child's output) that writes whole lines, each readable. */
export function readableWriter(write: (text: string) => void): (chunk: string | Buffer) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const text of lines) write(`${readableLine(text) ?? text}\n`);
  };
}
