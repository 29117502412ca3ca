/**
 * Free-form JSON that comes back exactly as it was sent. Store such a value
 * as a JSON string (`JSON.stringify`), never as a DynamoDB map: a string
 * keeps every key (`""`, `constructor`, `__proto__`), any nesting and all of
 * Unicode, where the marshaller and DynamoDB's map rules would change or
 * refuse some. What JSON text itself cannot carry through JSON.parse and
 * JSON.stringify is refused here, with its path: numbers beyond the double
 * range, integers whose digits a double cannot hold, and -0. Nesting is
 * capped so that no input can exhaust the stack.
 */
import * as z from "zod/mini";

export const MAX_JSON_DEPTH = 32;
const MAX_ISSUES = 20;

export type JsonPath = (string | number)[];

/** What keeps `value` (as JSON.parse gave it) from surviving JSON.stringify and JSON.parse exactly, at most 20 problems. */
export function exactJsonIssues(value: unknown, maxDepth = MAX_JSON_DEPTH): { path: JsonPath; message: string }[] {
  const issues: { path: JsonPath; message: string }[] = [];
  // Iterative, not recursive: the input may nest thousands of levels deep.
  const stack: { value: unknown; path: JsonPath; depth: number }[] = [{ value, path: [], depth: 0 }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) issues.push({ path, message: "must be a number within ±1.7976931348623157e308" });
      else if (Object.is(v, -0)) issues.push({ path, message: "-0 cannot be kept apart from 0; send 0" });
      else if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        issues.push({ path, message: "integers must lie within ±9007199254740991 to keep every digit; send larger ones as strings" });
      }
    } else if (typeof v === "object" && v !== null) {
      if (depth + 1 > maxDepth) {
        issues.push({ path, message: `nests deeper than ${maxDepth} levels` });
        continue;
      }
      const entries: [string | number, unknown][] = Array.isArray(v)
        ? v.map((item, i) => [i, item])
        : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]]);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], path: [...path, entries[i]![0]], depth: depth + 1 });
    }
  }
  return issues;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A JSON object that round-trips exactly through JSON.stringify and
 * JSON.parse, at most `maxBytes` as JSON. The value passes through as it came
 * (zod does not copy it), so a key such as `__proto__` is kept.
 */
export function exactJsonObject({ maxBytes, maxDepth = MAX_JSON_DEPTH }: { maxBytes: number; maxDepth?: number }) {
  return z.custom<Record<string, unknown>>(isObject, { message: "must be a JSON object" }).check(
    z.superRefine((value, ctx) => {
      const issues = exactJsonIssues(value, maxDepth);
      for (const { path, message } of issues) ctx.addIssue({ code: "custom", message, path, input: undefined });
      if (issues.length === 0 && Buffer.byteLength(JSON.stringify(value)) > maxBytes) {
        ctx.addIssue({ code: "custom", message: `must be at most ${maxBytes} bytes as JSON`, input: undefined });
      }
    }),
  );
}
