/**
 * A jest test environment (Node's) that keeps passing tests quiet: what a
 * test logs through `console` is held, and shown only when that test or a
 * hook fails. Logs of the file's hooks before its first test go with the
 * first test. Writes to process.stdout (a measurement a test prints on
 * purpose) pass as they are.
 */
import { TestEnvironment } from "jest-environment-node";

type Method = "log" | "info" | "warn" | "error" | "debug";
const METHODS: readonly Method[] = ["log", "info", "warn", "error", "debug"];
/** The part of jest-circus's events this environment reads. */
type TestEvent = { name: string; test?: { errors: unknown[] } };

export default class QuietEnvironment extends TestEnvironment {
  private held: [Method, unknown[]][] = [];
  private loud: Console | undefined;

  override async setup(): Promise<void> {
    await super.setup();
    const loud = this.global.console as Console;
    const quiet = Object.create(loud) as Console;
    for (const method of METHODS) quiet[method] = (...args: unknown[]) => void this.held.push([method, args]);
    this.loud = loud;
    this.global.console = quiet;
  }

  handleTestEvent(event: TestEvent): void {
    const failed = (event.name === "test_done" && (event.test?.errors.length ?? 0) > 0) || event.name === "hook_failure";
    if (failed) for (const [method, args] of this.held) this.loud?.[method](...args);
    if (event.name === "test_done" || failed) this.held = [];
  }
}
