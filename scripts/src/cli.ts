/**
 * The one way a script runs as a command: call its main, print an error as
 * one line plus the `make` command that fixes it (errorHints.ts),
 * exit non-zero.
 */
import { hintFor } from "./errorHints";

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
