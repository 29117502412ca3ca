/**
 * Validation with zod/mini schemas (full zod adds ~440 KB to the bundle),
 * reporting every problem with its path: for 400 bodies and seed reports.
 */
import * as z from "zod/mini";
import { en } from "zod/locales";

// English messages for this library's parses only, passed per call: configuring zod globally (z.config) would
// change every other zod user in the process as a side effect of importing this module.
const english = en().localeError;

export type Issue = { path: string; message: string };

/** Parses or returns every problem with its path. */
export function validate<S extends z.ZodMiniType>(schema: S, input: unknown): { ok: true; value: z.output<S> } | { ok: false; issues: Issue[] } {
  const result = z.safeParse(schema, input, { error: english });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) };
}
