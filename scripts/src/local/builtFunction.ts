/**
 * A built HTTP function in a process of its own (invoker.mjs), sent one API Gateway event at a time: how
 * `make test-compat` runs two releases side by side, and how the local deployment's pre-traffic check invokes a new
 * build before it takes any request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

export class BuiltFunction {
  private readonly child: ChildProcess;
  private readonly answers: ((answer: { statusCode: number; body: string }) => void)[] = [];

  constructor(handlerFile: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [join(__dirname, "invoker.mjs")], {
      env: { PATH: process.env.PATH, COMPAT_HANDLER: handlerFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      stdio: ["pipe", "ignore", "inherit", "pipe"],
    });
    createInterface({ input: this.child.stdio[3] as NodeJS.ReadableStream }).on("line", (line) => this.answers.shift()?.(JSON.parse(line)));
    this.child.once("exit", () => {
      for (const answer of this.answers.splice(0)) answer({ statusCode: 502, body: "the function's process exited" });
    });
  }

  send(event: unknown): Promise<{ statusCode: number; body: string }> {
    return new Promise((resolve) => {
      this.answers.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(event)}\n`);
    });
  }

  stop(): void {
    this.child.kill();
  }
}
