/**
 * The command that fixes each error, in this template's own terms (make
 * targets). The library's messages say what is wrong and what to do in words
 * and know nothing of make; the command line (cli.ts) adds these.
 */
import { StarterError } from "@dynamodb-starter/kit/runtime";

const HINTS: Partial<Record<string, string>> = {
  TABLE_NOT_FOUND: 'Create and migrate it with "make migrate" (or "make deploy", whose pre-step does both).',
  PENDING_MIGRATIONS: 'Apply them with "make migrate DEPLOYMENT=<name>" (or "make deploy DEPLOYMENT=<name>", whose pre-step applies them).',
  MIGRATION_LOCK_TIMEOUT: 'If the holder is known to be dead, "make migrate-unlock" releases the lock now.',
  MIGRATION_LOCK_LOST: 'Run "make migrate" again once no other run holds the lock ("make migrate-status").',
  MIGRATION_FAILED: 'Fix the migration, then run "make migrate" again.',
  JAVA_NOT_FOUND: 'Then run "make test" or "make deploy" again.',
};

/** The fix for an error, if this template has one to suggest. */
export function hintFor(error: unknown): string | undefined {
  return error instanceof StarterError ? HINTS[error.code] : undefined;
}
