/**
 * A built function in a process of its own (invoker.mjs), sent one event at a time: how `make test-compat` runs two
 * releases side by side, how the local deployment's pre-traffic check invokes a new build before it takes any
 * request, and how the local backfill engine runs the backfill worker.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** What an invocation came to: the handler's result, its error, or the process's end (a crash, a kill). */
export type Outcome = { result: unknown } | { error: { name: string; message: string } } | { crashed: string };

export class BuiltFunction {
  private readonly child: ChildProcess;
  private readonly outcomes: ((outcome: Outcome) => void)[] = [];
  private ended: string | undefined;

  constructor(handlerFile: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [join(__dirname, "invoker.mjs")], {
      env: { PATH: process.env.PATH, COMPAT_HANDLER: handlerFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      stdio: ["pipe", "ignore", "inherit", "pipe"],
    });
    createInterface({ input: this.child.stdio[3] as NodeJS.ReadableStream }).on("line", (line) => this.outcomes.shift()?.(JSON.parse(line) as Outcome));
    this.child.once("exit", (code, signal) => {
      this.ended = `its process ended (${signal ?? `exit ${code}`})`;
      for (const outcome of this.outcomes.splice(0)) outcome({ crashed: this.ended });
    });
  }

  /** The process's id: a test kills it to see a crash handled. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  invoke(event: unknown, remainingMs = 10_000): Promise<Outcome> {
    if (this.ended) return Promise.resolve({ crashed: this.ended });
    return new Promise((resolve) => {
      this.outcomes.push(resolve);
      this.child.stdin!.write(`${JSON.stringify({ event, remainingMs })}\n`);
    });
  }

  /** An HTTP function's answer, as API Gateway turns an outcome into one: an error or a crash is a 500 or a 502. */
  async send(event: unknown): Promise<{ statusCode: number; body: string }> {
    const outcome = await this.invoke(event);
    if ("result" in outcome) {
      const result = outcome.result as { statusCode?: number; body?: string } | null;
      return { statusCode: result?.statusCode ?? 200, body: result?.body ?? "" };
    }
    return "error" in outcome ? { statusCode: 500, body: `${outcome.error.name}: ${outcome.error.message}` } : { statusCode: 502, body: outcome.crashed };
  }

  stop(): void {
    this.child.kill();
  }
}
