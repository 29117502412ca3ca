/**
 * The built-in `local` deployment: the pipeline's sequence (pipeline.ts) with
 * a ship step of its own. A persistent DynamoDB Local keeps its data under
 * .local/; the HTTP function's built artifact is served over HTTP by the API
 * Gateway adapter (localApi.ts), and every other function's artifact run by
 * its trigger (localFunction.ts: DynamoDB Local's stream, or a schedule). All
 * run in the background with pid and log files. Deploying again reuses the
 * database and moves the running API to the new build gradually, as AWS does
 * (localRelease.ts), then replaces the other functions; destroying stops
 * everything and deletes the data.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { DEFAULT_LOG_LEVEL, DEFAULT_METRICS_NAMESPACE, LOCAL_REGION, StarterError, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { pollUntil } from "@dynamodb-starter/kit/ops";
import { kb } from "../format";
import { httpFunction, loadFunctions, type FunctionSpec } from "../functions";
import { rememberPorts, type LocalDeployment } from "../deployments";
import { runDeploy, type Ship } from "../pipeline/pipeline";
import { loadContract, tsxEntry } from "../project";
import { LocalDynamoStartError, assertPortFree, findJava, javaArgs, waitUntilReady } from "./dynamoDbLocal";
import { ensureLocalIssuer } from "./localIssuer";
import { localBackfillMachine } from "./localBackfillMachine";
import { rollBack, RollbackError } from "../pipeline/releases";
import {
  KEPT_RELEASES,
  localPreTrafficCheck,
  pruneReleases,
  releaseDir,
  releasePaths,
  servedRelease,
  shiftApi,
  stageRelease,
  writeRouting,
} from "./localRelease";
import { commandLine, isAlive, runningFromPidFile, stopFromPidFile, stopProcess, tail, writePidFile } from "./processes";

const DYNAMO_MARKER = "DynamoDBLocal.jar";
const API_MARKER = "localApi.ts";
const FUNCTION_MARKER = "localFunction.ts";

export class LocalDeploymentError extends StarterError<"LOCAL_DEPLOYMENT"> {
  override name = "LocalDeploymentError";
  constructor(message: string) {
    super("LOCAL_DEPLOYMENT", message);
  }
}

export function localPaths(d: LocalDeployment) {
  return {
    data: join(d.stateDir, "dynamodb"),
    dynamoPid: join(d.stateDir, "dynamodb.pid"),
    dynamoLog: join(d.stateDir, "dynamodb.log"),
    apiPid: join(d.stateDir, "api.pid"),
    apiLog: join(d.stateDir, "api.log"),
    /** make dev's builds (a deploy's are releases: localRelease.ts). */
    artifacts: join(d.stateDir, "artifacts"),
    functionPid: (name: string) => join(d.stateDir, `${name}.pid`),
    functionLog: (name: string) => join(d.stateDir, `${name}.log`),
    /** A stream consumer's failure destination: one JSON line per batch given up on, as AWS puts it on the queue. */
    failures: (name: string) => join(d.stateDir, `${name}.failures.jsonl`),
    /** Where a stream consumer stopped reading, per shard. */
    streamPosition: (name: string) => join(d.stateDir, `${name}.position.json`),
    cursorSecret: join(d.stateDir, "cursor-secret"),
    issuer: join(d.stateDir, "issuer"),
  };
}

export interface LocalDeployResult {
  url: string;
  endpoint: string;
  apiPid: number;
  dynamoPid: number;
  /** False when an already running DynamoDB Local was reused. */
  startedDynamo: boolean;
}

/** How the pipeline ships to the local deployment: the built artifacts, each run by its trigger; the table on DynamoDB Local. */
export function localShip(d: LocalDeployment, functions: readonly FunctionSpec[], started: Partial<LocalDeployResult> = {}): Ship {
  const paths = localPaths(d);
  let endpoint = "";
  return {
    preflight: async () => void findJava(),
    // No zips: nothing here uploads them (make build and an AWS deploy do).
    build: { dir: d.buildDir, zip: false },
    async connect(log) {
      mkdirSync(d.stateDir, { recursive: true });
      const dynamo = await ensureDynamo(d, log);
      endpoint = dynamo.endpoint;
      Object.assign(started, { endpoint, dynamoPid: dynamo.pid, startedDynamo: dynamo.started });
      return createClient({ region: LOCAL_REGION, endpoint });
    },
    async ship(artifacts, log) {
      for (const artifact of artifacts) log(`  ${relative(d.project.root, join(d.buildDir, artifact.name))}: ${kb(artifact.coldBytes)} loaded at cold start`);
      const id = stageRelease(d, functions);
      const url = `http://127.0.0.1:${d.apiPort}`;
      const http = httpFunction(functions);
      const to = { id, handler: join(releaseDir(d, id), http.name, "index.mjs"), weight: 1 };
      const apiPid = runningFromPidFile(paths.apiPid, API_MARKER);
      const from = servedRelease(d);
      if (apiPid !== undefined && from && existsSync(from.handler)) {
        // A running API keeps serving while the new build proves itself: smoke requests, then a share of the traffic.
        const env = await apiEnvironment(d, endpoint, { handlerFile: to.handler }, http);
        await localPreTrafficCheck(to.handler, env, loadContract(d.project), log);
        await shiftApi(d, from, to, log);
        log(`local API (pid ${apiPid}) serves release ${id} of ${http.name} on ${url}`);
        Object.assign(started, { url, apiPid });
      } else {
        if (apiPid !== undefined) await stopDeployedApi(d);
        writeRouting(d, [to]);
        const pid = await startApi(d, endpoint, url, http);
        log(`local API (pid ${pid}) serves release ${id} of ${http.name} on ${url}`);
        Object.assign(started, { url, apiPid: pid });
      }
      await startTriggered(d, endpoint, functions, id, log);
      rememberPorts(d);
      pruneReleases(d);
      return Object.fromEntries(functions.map((f) => [f.name, id]));
    },
    // The previous build takes no request once the shift ends, and its other functions were stopped: nothing runs it.
    drainSeconds: 0,
    backfills: {
      distributedAboveItems: d.backfills.distributedAboveItems,
      machine: (worker) =>
        localBackfillMachine({ workerFile: worker.entry, env: { ...functionEnvironment(d, endpoint, { name: "backfill" }), MIGRATIONS_ON_CONNECT: "fail" } }),
    },
  };
}

export async function deployLocal(
  d: LocalDeployment,
  log: (line: string) => void = console.log,
  functions: readonly FunctionSpec[] = loadFunctions(d.project),
): Promise<LocalDeployResult> {
  const started: Partial<LocalDeployResult> = {};
  const target = { project: d.project, tableName: d.tableName, settings: d.table, functions, migrations: loadContract(d.project).api.migrations };
  await runDeploy(target, localShip(d, functions, started), log);
  return started as LocalDeployResult;
}

export async function destroyLocal(d: LocalDeployment, log: (line: string) => void = console.log): Promise<void> {
  const paths = localPaths(d);
  if (await stopFunctions(d)) log("stopped the local functions");
  if (await stopFromPidFile(paths.dynamoPid, DYNAMO_MARKER)) log("stopped DynamoDB Local");
  rmSync(d.stateDir, { recursive: true, force: true });
  log(`removed ${d.stateDir} (data, logs, pid files)`);
}

/** Reuses a healthy DynamoDB Local of this deployment, or starts one in the background with data on disk. */
export async function ensureDynamo(d: LocalDeployment, log: (line: string) => void): Promise<{ endpoint: string; pid: number; started: boolean }> {
  const paths = localPaths(d);
  const endpoint = `http://127.0.0.1:${d.dynamoPort}`;
  const running = runningFromPidFile(paths.dynamoPid, DYNAMO_MARKER);
  if (running !== undefined) {
    if (commandLine(running)?.includes(`-port ${d.dynamoPort} `)) {
      try {
        await waitUntilReady(endpoint, { timeoutMs: 5_000, exited: () => !isAlive(running) });
        log(`DynamoDB Local (pid ${running}) already running on ${endpoint}; reusing it`);
        return { endpoint, pid: running, started: false };
      } catch {
        log(`DynamoDB Local (pid ${running}) does not answer; restarting it`);
      }
    }
    await stopProcess(running);
  }

  try {
    await assertPortFree(d.dynamoPort);
  } catch (error) {
    throw new LocalDeploymentError(`${(error as Error).message}. Set LOCAL_DYNAMODB_PORT to use another port for the local DynamoDB.`);
  }
  const java = findJava();
  mkdirSync(paths.data, { recursive: true });
  const logFd = openSync(paths.dynamoLog, "a");
  const child = spawn(java, javaArgs(d.dynamoPort, { dataDir: paths.data }, java), { detached: true, stdio: ["ignore", logFd, logFd] });
  child.unref();
  const pid = child.pid!;
  writePidFile(paths.dynamoPid, pid);
  log(`starting DynamoDB Local (pid ${pid}) on ${endpoint}, data in ${paths.data}`);
  try {
    await waitUntilReady(endpoint, { timeoutMs: 30_000, exited: () => !isAlive(pid), output: () => tail(paths.dynamoLog) });
  } catch (error) {
    await stopProcess(pid);
    throw error instanceof LocalDynamoStartError ? error : new LocalDeploymentError(String(error));
  }
  return { endpoint, pid, started: true };
}

const pick = (env: NodeJS.ProcessEnv, names: readonly string[]) => Object.fromEntries(names.flatMap((n) => (env[n] === undefined ? [] : [[n, env[n]!]])));

/**
 * A random secret per local deployment, kept across redeploys so that cursors stay valid: a file only its owner reads,
 * which the function reads at its start (CURSOR_SECRET_FILE), as a deployed one reads its SSM parameter.
 */
function cursorSecretFile(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return file;
}

/**
 * What every local function gets, as Lambda gives a function only its own environment (never the deployer's AWS
 * credentials), and what a deployed one gets from Terraform (lambda.tf): its log level and its metrics' service.
 */
function functionEnvironment(
  d: LocalDeployment,
  endpoint: string,
  f: Pick<FunctionSpec, "name"> & { config?: Pick<FunctionSpec["config"], "logLevel"> },
): NodeJS.ProcessEnv {
  return {
    ...pick(process.env, ["PATH", "HOME", "TMPDIR", "LANG", "TZ"]),
    TABLE_NAME: d.tableName,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: `local-${f.name}`,
    LOG_LEVEL: f.config?.logLevel ?? DEFAULT_LOG_LEVEL,
    SERVICE_NAME: d.name,
    METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE,
    // As in Lambda, said in the kit's own words: pending migrations are reported, not applied.
    MIGRATIONS_ON_CONNECT: "fail",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** What a non-HTTP local function's process gets: the function's environment and its trigger. */
export function triggerEnvironment(d: LocalDeployment, endpoint: string, f: FunctionSpec, handlerFile: string): NodeJS.ProcessEnv {
  const paths = localPaths(d);
  return {
    ...functionEnvironment(d, endpoint, f),
    LOCAL_FUNCTION_HANDLER: handlerFile,
    LOCAL_FUNCTION_TRIGGER: JSON.stringify(f.config.trigger),
    LOCAL_FUNCTION_TIMEOUT_SECONDS: String(f.config.timeoutSeconds ?? 30),
    LOCAL_FUNCTION_FAILURES: paths.failures(f.name),
    LOCAL_FUNCTION_POSITION: paths.streamPosition(f.name),
  };
}

/** What the local API process gets: only what it needs. */
export async function apiEnvironment(
  d: LocalDeployment,
  endpoint: string,
  source: { handlerFile: string } | { routing: true },
  f: Pick<FunctionSpec, "name" | "config">,
): Promise<NodeJS.ProcessEnv> {
  const paths = localPaths(d);
  const issuer = await ensureLocalIssuer(paths.issuer);
  const { AWS_LAMBDA_FUNCTION_NAME: _inLambda, ...env } = functionEnvironment(d, endpoint, f);
  return {
    ...env,
    ...("handlerFile" in source
      ? { LOCAL_API_HANDLER: source.handlerFile }
      : { LOCAL_API_ROUTING: releasePaths(d).routing, LOCAL_API_EVENTS: releasePaths(d).events }),
    LOCAL_API_PORT: String(d.apiPort),
    CURSOR_SECRET_FILE: cursorSecretFile(paths.cursorSecret),
    // Bearer tokens are checked as the deployed API's JWT authorizer checks them; `make token` signs them.
    LOCAL_API_JWT_ISSUER: issuer.issuer,
    LOCAL_API_JWT_AUDIENCES: issuer.audience,
    LOCAL_API_JWKS: issuer.jwksFile,
    // Log lines and metric lines, as in Lambda.
    TELEMETRY: "on",
    LOCAL_API_FUNCTION_NAME: `local-${f.name}`,
  };
}

/** Refuses a taken API port with the variable that moves it. */
export async function assertApiPortFree(d: LocalDeployment): Promise<void> {
  try {
    await assertPortFree(d.apiPort);
  } catch (error) {
    throw new LocalDeploymentError(`${(error as Error).message}. Set LOCAL_API_PORT to serve the local API on another port.`);
  }
}

/** The local API's command: the adapter, run by tsx (from the service's root, whose tsconfig it follows). */
export const LOCAL_API_COMMAND = tsxEntry("local", "localApi.ts");

async function startApi(d: LocalDeployment, endpoint: string, url: string, http: FunctionSpec): Promise<number> {
  const paths = localPaths(d);
  await assertApiPortFree(d);
  const logFd = openSync(paths.apiLog, "a");
  const child = spawn(process.execPath, LOCAL_API_COMMAND, {
    cwd: d.project.root,
    detached: true,
    stdio: ["ignore", logFd, logFd],
    env: await apiEnvironment(d, endpoint, { routing: true }, http),
  });
  child.unref();
  const pid = child.pid!;
  writePidFile(paths.apiPid, pid);

  try {
    await pollUntil(
      async () => {
        if (!isAlive(pid)) throw new LocalDeploymentError("the local API exited");
        try {
          await fetch(url, { signal: AbortSignal.timeout(1_000) });
          return { done: true, value: undefined };
        } catch {
          return { done: false, status: "not answering yet" };
        }
      },
      { what: `the local API on ${url}`, timeoutMs: 20_000, initialDelayMs: 50, maxDelayMs: 500 },
    );
    return pid;
  } catch {
    await stopProcess(pid);
    throw new LocalDeploymentError(`the local API did not start on ${url}. Its log (${paths.apiLog}):\n${tail(paths.apiLog)}`);
  }
}

/** A non-HTTP function's process: its trigger, running its copy of the build. Resolves once it says it runs. */
async function startFunction(d: LocalDeployment, endpoint: string, f: FunctionSpec, release: string): Promise<number> {
  const paths = localPaths(d);
  const logFile = paths.functionLog(f.name);
  const child = spawn(process.execPath, LOCAL_FUNCTION_COMMAND, {
    cwd: d.project.root,
    detached: true,
    stdio: ["ignore", openSync(logFile, "a"), openSync(logFile, "a")],
    env: triggerEnvironment(d, endpoint, f, join(releaseDir(d, release), f.name, "index.mjs")),
  });
  child.unref();
  const pid = child.pid!;
  writePidFile(paths.functionPid(f.name), pid);
  const logged = existsSync(logFile) ? readFileSync(logFile, "utf8").length : 0;
  try {
    await pollUntil(
      async () => {
        if (!isAlive(pid)) throw new LocalDeploymentError(`the local function ${f.name} exited`);
        const started = readFileSync(logFile, "utf8").slice(logged).includes(`local function local-${f.name}`);
        return started ? { done: true, value: undefined } : { done: false, status: "starting" };
      },
      { what: `the local function ${f.name}`, timeoutMs: 20_000, initialDelayMs: 50, maxDelayMs: 250 },
    );
    return pid;
  } catch {
    await stopProcess(pid);
    throw new LocalDeploymentError(`the local function ${f.name} did not start. Its log (${logFile}):\n${tail(logFile)}`);
  }
}

/** A non-HTTP function's command: its trigger's runner, run by tsx (from the service's root). */
export const LOCAL_FUNCTION_COMMAND = tsxEntry("local", "localFunction.ts");

/** Stops the API process a `make deploy` left running, if any. */
export const stopDeployedApi = (d: LocalDeployment) => stopFromPidFile(localPaths(d).apiPid, API_MARKER);

/** Stops every function process a `make deploy` left running (those of functions since removed too). */
export async function stopFunctions(d: LocalDeployment): Promise<boolean> {
  const stopped = await Promise.all([stopDeployedApi(d), stopTriggered(d)]);
  return stopped.some(Boolean);
}

/** Stops the stream consumers' and scheduled jobs' processes. */
async function stopTriggered(d: LocalDeployment): Promise<boolean> {
  const pidFiles = existsSync(d.stateDir) ? readdirSync(d.stateDir).filter((f) => f.endsWith(".pid") && f !== "api.pid" && f !== "dynamodb.pid") : [];
  return (await Promise.all(pidFiles.map((file) => stopFromPidFile(join(d.stateDir, file), FUNCTION_MARKER)))).some(Boolean);
}

/** Runs the stream consumers and scheduled jobs of `release`, in place of those running. */
async function startTriggered(d: LocalDeployment, endpoint: string, functions: readonly FunctionSpec[], release: string, log: (line: string) => void) {
  const paths = localPaths(d);
  if (await stopTriggered(d)) log("  stopped the previous release's stream consumers and scheduled jobs");
  const others = functions.filter((f) => f.kind !== "http");
  const pids = await Promise.all(others.map((f) => startFunction(d, endpoint, f, release)));
  others.forEach((f, i) => {
    const trigger = f.kind === "stream" ? "table stream" : "schedule";
    log(`local function ${f.name} (pid ${pids[i]}) runs on its ${trigger}; log ${relative(d.project.root, paths.functionLog(f.name))}`);
  });
}

/**
 * `make rollback` of the local deployment: the API and the other functions back on the release before the current
 * one, unless a contract migration has run since (releases.ts says which).
 */
export async function rollbackLocal(
  d: LocalDeployment,
  log: (line: string) => void = console.log,
  functions: readonly FunctionSpec[] = loadFunctions(d.project),
) {
  const dynamo = await ensureDynamo(d, log);
  const client = createClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
  try {
    const db = createDocumentClient(client);
    await rollBack({ client, db, tableName: d.tableName, migrations: loadContract(d.project).api.migrations, log }, async ({ from, to }) => {
      const http = httpFunction(functions);
      const id = to.versions[http.name];
      if (!id || !existsSync(releaseDir(d, id)))
        throw new RollbackError(`release ${to.seq}'s build (${id ?? "none"}) is no longer on disk (${KEPT_RELEASES} are kept): nothing was changed.`);
      log(`rolling back from release ${from.seq} to release ${to.seq} (build ${id})`);
      writeRouting(d, [{ id, handler: join(releaseDir(d, id), http.name, "index.mjs"), weight: 1 }]);
      if (runningFromPidFile(localPaths(d).apiPid, API_MARKER) === undefined) await startApi(d, dynamo.endpoint, `http://127.0.0.1:${d.apiPort}`, http);
      await startTriggered(d, dynamo.endpoint, functions, id, log);
    });
  } finally {
    client.destroy();
  }
}

/** Stops this deployment's DynamoDB Local, if running; its data stays on disk. */
export const stopDynamo = (d: LocalDeployment) => stopFromPidFile(localPaths(d).dynamoPid, DYNAMO_MARKER);

/** What `make logs` follows: every function's log and every failure destination, or those of the function `name`. */
export function localLogFiles(d: LocalDeployment, functions: readonly FunctionSpec[], name?: string): string[] {
  const paths = localPaths(d);
  const chosen = functions.filter((f) => name === undefined || f.name === name);
  if (chosen.length === 0) throw new LocalDeploymentError(`no function is named "${name}": NAME=${functions.map((f) => f.name).join("|")}`);
  return chosen.flatMap((f) => {
    if (f.kind === "http") return [paths.apiLog];
    if (f.kind === "schedule") return [paths.functionLog(f.name)];
    const failures = paths.failures(f.name);
    if (!existsSync(failures)) writeFileSync(failures, "");
    return [paths.functionLog(f.name), failures];
  });
}

/** `make invoke NAME=...`: runs the deployed build of a scheduled job once, now, with its environment; prints what it returned. */
export async function invokeLocal(d: LocalDeployment, f: FunctionSpec, log: (line: string) => void = console.log): Promise<void> {
  if (f.kind !== "schedule") {
    throw new LocalDeploymentError(
      f.kind === "http"
        ? `${f.name} is the HTTP API: call it with curl (make deploy prints its URL)`
        : `${f.name} reads the table's stream: write to the table to invoke it`,
    );
  }
  const release = servedRelease(d);
  const handlerFile = release ? join(releaseDir(d, release.id), f.name, "index.mjs") : "";
  if (!release || !existsSync(handlerFile)) throw new LocalDeploymentError(`${f.name} is not deployed locally: run make deploy first`);
  const endpoint = `http://127.0.0.1:${d.dynamoPort}`;
  log(`invoking local-${f.name} (its build in ${relative(d.project.root, dirname(handlerFile))})`);
  const child = spawn(process.execPath, LOCAL_FUNCTION_COMMAND, {
    cwd: d.project.root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...triggerEnvironment(d, endpoint, f, handlerFile), LOCAL_FUNCTION_ONCE: "1" },
  });
  for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (chunk: Buffer) => log(chunk.toString().trimEnd()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new LocalDeploymentError(`local-${f.name} failed (exit ${code}); its output is above`);
}
