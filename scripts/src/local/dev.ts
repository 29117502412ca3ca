/**
 * `make dev`: the local deployment with every function rebuilt and reloaded on
 * every save under src/. DynamoDB Local (and its data under .local/) is the
 * one `make deploy` uses and is kept across reloads; the pre-step runs once at
 * the start. esbuild watches each handler's sources (its incremental build is
 * what makes a reload take milliseconds); after each build the function's
 * process (the API, a stream consumer, a scheduled job) is replaced by one
 * running the new build, so the next request or record is a cold start of
 * the new code, as after a deploy; a stream consumer carries on from where
 * the previous one stopped reading. tsc watches beside it and prints type
 * errors as they appear. Unlike `make deploy`, pending migrations are applied
 * by connect() on the first request (MIGRATIONS_ON_CONNECT=apply), so a new
 * migration takes effect on save. Ctrl-C stops what `make dev` started: the
 * functions, the watchers, and DynamoDB Local if it was not running before.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { context, type BuildResult, type Plugin } from "esbuild";
import { LOCAL_REGION, createClient } from "@dynamodb-starter/kit/runtime";
import { handlerBuildOptions } from "../build";
import { localDeployment, type LocalDeployment } from "../deployments";
import { httpFunction, loadFunctions, type FunctionSpec } from "../functions";
import {
  LOCAL_API_COMMAND,
  LOCAL_FUNCTION_COMMAND,
  apiEnvironment,
  assertApiPortFree,
  ensureDynamo,
  localPaths,
  stopDynamo,
  stopFunctions,
  triggerEnvironment,
} from "./localDeployment";
import { runPreStep } from "../pipeline/preStep";
import { loadContract } from "../project";
import { readableWriter } from "./logLines";

export interface DevOptions {
  deployment?: LocalDeployment;
  log?: (line: string) => void;
  /** Where the functions' own output goes (their log lines, made readable: logLines.ts); this process's stdout by default. */
  apiOutput?: (chunk: string) => void;
  /** Type-check on save with tsc --watch (default true). */
  typecheck?: boolean;
  /** Defaults to the modules of src/handlers/. */
  functions?: readonly FunctionSpec[];
}

export interface Dev {
  url: string;
  /** Resolves after the next reload of the API: the build that follows a save, and the new API answering. */
  nextReload(): Promise<void>;
  /** Resolves after the next reload of the function `name`. */
  nextReloadOf(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function dev({
  deployment: d = localDeployment(),
  log = console.log,
  apiOutput = (c) => process.stdout.write(c),
  typecheck = true,
  functions = loadFunctions(d.project),
}: DevOptions = {}): Promise<Dev> {
  const dynamo = await ensureDynamo(d, log);
  const client = createClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
  const migrations = loadContract(d.project).api.migrations;
  await runPreStep({ client, tableName: d.tableName, settings: d.table, log, functions, migrations }).finally(() => client.destroy());
  if (await stopFunctions(d)) log("stopped the local functions of make deploy: make dev runs them now");
  await assertApiPortFree(d);

  const url = `http://127.0.0.1:${d.apiPort}`;
  const http = httpFunction(functions);
  const running = new Map<string, ChildProcess>();
  const waiting = new Map<string, (() => void)[]>(functions.map((f) => [f.name, []]));

  /** The environment and start of one function's process on its new build in `outdir`. */
  const starter = async (f: FunctionSpec, outdir: string) => {
    const handlerFile = join(outdir, "index.mjs");
    if (f.kind === "http") {
      const env = { ...(await apiEnvironment(d, dynamo.endpoint, { handlerFile }, f)), MIGRATIONS_ON_CONNECT: "apply" };
      return () => startApi(env, url, apiOutput, d.project.root);
    }
    const env = { ...triggerEnvironment(d, dynamo.endpoint, f, handlerFile), MIGRATIONS_ON_CONNECT: "apply" };
    return () => startFunction(f.name, env, apiOutput, d.project.root);
  };

  const contexts = await Promise.all(
    functions.map(async (f) => {
      const outdir = join(localPaths(d).artifacts, "dev", f.name);
      const start = await starter(f, outdir);
      const reload: Plugin = {
        name: "reload",
        setup(build) {
          let started = 0;
          build.onStart(() => void (started = performance.now()));
          build.onEnd(async (result: BuildResult) => {
            const built = performance.now() - started;
            if (result.errors.length) return log(`${f.name}: build failed (${result.errors.length} error(s)); running the previous build`);
            await stopChild(running.get(f.name));
            running.set(f.name, await start());
            log(
              `${f.name}: reloaded in ${Math.round(performance.now() - started)} ms (build ${Math.round(built)} ms)${f.kind === "http" ? `, serving ${url}` : ""}`,
            );
            waiting
              .get(f.name)!
              .splice(0)
              .forEach((resolve) => resolve());
          });
        },
      };
      const options = handlerBuildOptions(f.file, outdir);
      return context({ ...options, plugins: [...options.plugins, reload], logLevel: "error" });
    }),
  );
  const next = (name: string) => new Promise<void>((resolve) => waiting.get(name)?.push(resolve));
  const firsts = functions.map((f) => next(f.name));
  await Promise.all(contexts.map((ctx) => ctx.watch()));
  await Promise.all(firsts);
  const tsc = typecheck ? watchTypes(d.project.root, log) : undefined;
  log(`watching src/ (Ctrl-C stops the functions, the watchers${dynamo.started ? " and DynamoDB Local" : ""})`);

  return {
    url,
    nextReload: () => next(http.name),
    nextReloadOf: next,
    async stop() {
      await Promise.all(contexts.map((ctx) => ctx.dispose()));
      tsc?.kill();
      await Promise.all([...running.values()].map(stopChild));
      if (dynamo.started && (await stopDynamo(d))) log("stopped DynamoDB Local (its data stays in .local/)");
    },
  };
}

/** Starts a stream consumer's or scheduled job's process on the new build and resolves once it runs. */
async function startFunction(name: string, env: NodeJS.ProcessEnv, output: (chunk: string) => void, cwd: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, LOCAL_FUNCTION_COMMAND, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => output(chunk.toString()));
  const lines = readableWriter(output);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes(`local function local-${name}`)) resolve();
      else lines(text);
    });
    child.once("exit", (code) => reject(new Error(`the local function ${name} exited (code ${code}) before running`)));
  });
  return child;
}

/** Starts the local API on the new build and resolves once it serves. */
async function startApi(env: NodeJS.ProcessEnv, url: string, output: (chunk: string) => void, cwd: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, LOCAL_API_COMMAND, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => output(chunk.toString()));
  const lines = readableWriter(output);
  const serving = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes("local API serving")) resolve();
      else lines(text);
    });
    child.once("exit", (code) => reject(new Error(`the local API exited (code ${code}) before serving ${url}`)));
  });
  await serving;
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** tsc --watch beside the build, on the service's tsconfig: one line per check, with the errors when there are any. */
function watchTypes(root: string, log: (line: string) => void): ChildProcess {
  const tsc = spawn(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "--watch", "--preserveWatchOutput", "-p", root], {
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

/** `make dev`: until Ctrl-C. */
export async function main(): Promise<void> {
  const running = await dev();
  await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
  await running.stop();
}
