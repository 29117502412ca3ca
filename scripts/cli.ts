/**
 * The one way a script runs as a command: call its main, print an error as
 * one line plus the `make` command that fixes it, exit non-zero. Library
 * messages stay neutral; the hints that name make targets live here.
 */
import { StarterError } from "../src/lib";

const HINTS: Partial<Record<string, string>> = {
  TABLE_NOT_FOUND: 'Create and migrate it with "make migrate" (or "make deploy", whose pre-step does both).',
  PENDING_MIGRATIONS: 'Apply them with "make migrate" (or "make deploy", whose pre-step applies them).',
  MIGRATION_LOCK_TIMEOUT: 'If the holder is known to be dead, "make migrate-unlock" releases the lock now.',
  MIGRATION_LOCK_LOST: 'Run "make migrate" again.',
  MIGRATION_FAILED: 'Fix the migration, then run "make migrate" again.',
  JAVA_NOT_FOUND: 'Then run "make test" or "make deploy" again.',
};

/** The hint for an error, if the CLI layer has one. */
export function hintFor(error: unknown): string | undefined {
  return error instanceof StarterError ? HINTS[error.code] : undefined;
}

/** The message a command prints for `error`: ours in one piece with its hint, anything else with its stack under DEBUG=1. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const hint = hintFor(error);
  const text = process.env.DEBUG ? (error.stack ?? error.message) : error.message;
  return hint ? `${text}\n${hint}` : text;
}

/** Runs `main` when `module` is the command being run (not when imported by a test). */
export function runCli(module: NodeModule, name: string, main: () => Promise<unknown>): void {
  if (require.main !== module) return;
  main().catch((error: unknown) => {
    console.error(`${name}: ${describeError(error)}`);
    process.exit(1);
  });
}
