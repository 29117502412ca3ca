/**
 * `make dev`: the local deployment with the handler rebuilt and reloaded on
 * every save under src/. DynamoDB Local (and its data under .local/) is the
 * one `make deploy` uses and is kept across reloads; the pre-step runs once at
 * the start. esbuild watches the handler's sources (its incremental build is
 * what makes a reload take milliseconds); after each build the API process is
 * replaced by one serving the new build, so the next request is a cold start
 * of the new code, as after a deploy. tsc watches beside it and prints type
 * errors as they appear. Unlike `make deploy`, pending migrations are applied
 * by connect() on the first request (MIGRATIONS_ON_CONNECT=apply), so a new
 * migration takes effect on save. Ctrl-C stops what `make dev` started: the
 * API, the watchers, and DynamoDB Local if it was not running before.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { context, type BuildResult, type Plugin } from "esbuild";
import { LOCAL_REGION, createClient } from "@dynamodb-starter/kit/runtime";
import { HANDLER, HANDLERS_DIR, handlerBuildOptions } from "./build";
import { runCli } from "./cli";
import { localDeployment, type LocalDeployment } from "./deployments";
import { LOCAL_API_COMMAND, apiEnvironment, assertApiPortFree, ensureDynamo, localPaths, stopDeployedApi, stopDynamo } from "./localDeployment";
import { runPreStep } from "./preStep";

const ROOT = resolve(__dirname, "..");

export interface DevOptions {
  deployment?: LocalDeployment;
  log?: (line: string) => void;
  /** Where the API's own output goes (its request log lines); this process's stdout by default. */
  apiOutput?: (chunk: string) => void;
  /** Type-check on save with tsc --watch (default true). */
  typecheck?: boolean;
}

export interface Dev {
  url: string;
  /** Resolves after the next reload: the build that follows a save, and the new API answering. */
  nextReload(): Promise<void>;
  stop(): Promise<void>;
}

export async function dev({
  deployment: d = localDeployment(),
  log = console.log,
  apiOutput = (c) => process.stdout.write(c),
  typecheck = true,
}: DevOptions = {}): Promise<Dev> {
  const dynamo = await ensureDynamo(d, log);
  const client = createClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
  await runPreStep({ client, tableName: d.tableName, settings: d.table, log }).finally(() => client.destroy());
  if (await stopDeployedApi(d)) log("stopped the local API of make deploy: make dev serves it now");
  await assertApiPortFree(d);

  const url = `http://127.0.0.1:${d.apiPort}`;
  const outdir = join(localPaths(d).artifact, "dev");
  const env = { ...(await apiEnvironment(d, dynamo.endpoint, join(outdir, "index.mjs"))), MIGRATIONS_ON_CONNECT: "apply" };
  let api: ChildProcess | undefined;
  const waiting: (() => void)[] = [];

  const reload: Plugin = {
    name: "reload",
    setup(build) {
      let started = 0;
      build.onStart(() => void (started = performance.now()));
      build.onEnd(async (result: BuildResult) => {
        const built = performance.now() - started;
        if (result.errors.length) return log(`build failed (${result.errors.length} error(s)); serving the previous build`);
        await stopApi(api);
        api = await startApi(env, url, apiOutput);
        log(`reloaded in ${Math.round(performance.now() - started)} ms (build ${Math.round(built)} ms), serving ${url}`);
        waiting.splice(0).forEach((resolve) => resolve());
      });
    },
  };
  const ctx = await context({ ...handlerBuildOptions(join(HANDLERS_DIR, `${HANDLER}.ts`), outdir), plugins: [reload], logLevel: "error" });
  const first = new Promise<void>((resolve) => waiting.push(resolve));
  await ctx.watch();
  await first;
  const tsc = typecheck ? watchTypes(log) : undefined;
  log(`watching src/ (Ctrl-C stops the API, the watchers${dynamo.started ? " and DynamoDB Local" : ""})`);

  return {
    url,
    nextReload: () => new Promise<void>((resolve) => waiting.push(resolve)),
    async stop() {
      await ctx.dispose();
      tsc?.kill();
      await stopApi(api);
      if (dynamo.started && (await stopDynamo(d))) log("stopped DynamoDB Local (its data stays in .local/)");
    },
  };
}

/** Starts the local API on the new build and resolves once it serves. */
async function startApi(env: NodeJS.ProcessEnv, url: string, output: (chunk: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, LOCAL_API_COMMAND, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => output(chunk.toString()));
  const serving = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes("local API serving")) resolve();
      else output(text);
    });
    child.once("exit", (code) => reject(new Error(`the local API exited (code ${code}) before serving ${url}`)));
  });
  await serving;
  return child;
}

async function stopApi(api: ChildProcess | undefined): Promise<void> {
  if (!api || api.exitCode !== null || api.signalCode !== null) return;
  const exited = once(api, "exit");
  api.kill("SIGTERM");
  await exited;
}

/** tsc --watch beside the build: one line per check, with the errors when there are any. */
function watchTypes(log: (line: string) => void): ChildProcess {
  const tsc = spawn(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "--watch", "--preserveWatchOutput", "-p", ROOT], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  tsc.stdout?.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (/error TS\d+/.test(line)) log(`type error: ${line.trim()}`);
      const found = /Found (\d+) errors?/.exec(line);
      if (found) log(found[1] === "0" ? "types: no errors" : `types: ${found[1]} error(s)`);
    }
  });
  return tsc;
}

runCli(module, "dev", async () => {
  const running = await dev();
  await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
  await running.stop();
});
