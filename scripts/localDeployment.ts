/**
 * The built-in `local` deployment: a persistent DynamoDB Local with its data
 * under .local/, the same pre-step and catch-up pass as AWS, and the built
 * Lambda artifact served over HTTP by the API Gateway adapter. Both run in the background
 * with pid and log files; deploying again replaces the API and reuses the
 * database; destroying stops both and deletes the data.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { LOCAL_REGION, StarterError, createClient } from "@dynamodb-starter/kit/runtime";
import { pollUntil } from "@dynamodb-starter/kit/ops";
import { HANDLER, buildHandler } from "./build";
import { kb } from "./format";
import type { LocalDeployment } from "./deployments";
import { LocalDynamoStartError, assertPortFree, findJava, javaArgs, waitUntilReady } from "@dynamodb-starter/kit/testing";
import { runCatchUp } from "./catchUp";
import { ensureLocalIssuer } from "./localIssuer";
import { runPreStep } from "./preStep";
import { commandLine, isAlive, runningFromPidFile, stopFromPidFile, stopProcess, tail, writePidFile } from "./processes";

const ROOT = resolve(__dirname, "..");
const DYNAMO_MARKER = "DynamoDBLocal.jar";
const API_MARKER = "localApi.ts";

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
    artifact: join(d.stateDir, "artifact"),
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

export async function deployLocal(d: LocalDeployment, log: (line: string) => void = console.log): Promise<LocalDeployResult> {
  const paths = localPaths(d);
  mkdirSync(d.stateDir, { recursive: true });

  const dynamo = await ensureDynamo(d, log);
  const client = createClient({ region: LOCAL_REGION, endpoint: dynamo.endpoint });
  try {
    const { applied } = await runPreStep({ client, tableName: d.tableName, settings: d.table, log });

    log("build");
    const artifact = await buildHandler(d.buildDir);
    log(`  ${relative(ROOT, join(d.buildDir, HANDLER))}: ${kb(artifact.coldBytes)} loaded at cold start, zip ${kb(artifact.zipBytes)}`);

    // The running API keeps its own copy, so a later `make build` cannot swap chunks under it.
    if (await stopFromPidFile(paths.apiPid, API_MARKER)) log("  stopped the previous local API");
    rmSync(paths.artifact, { recursive: true, force: true });
    cpSync(join(d.buildDir, HANDLER), paths.artifact, { recursive: true });

    const url = `http://127.0.0.1:${d.apiPort}`;
    const apiPid = await startApi(d, dynamo.endpoint, url);
    log(`local API (pid ${apiPid}) serves the built artifact on ${url}`);
    // The previous API process has exited, so nothing writes the old shape any more: no wait.
    await runCatchUp({ client, tableName: d.tableName, applied, waitSeconds: 0, log });
    return { url, endpoint: dynamo.endpoint, apiPid, dynamoPid: dynamo.pid, startedDynamo: dynamo.started };
  } finally {
    client.destroy();
  }
}

export async function destroyLocal(d: LocalDeployment, log: (line: string) => void = console.log): Promise<void> {
  const paths = localPaths(d);
  if (await stopFromPidFile(paths.apiPid, API_MARKER)) log("stopped the local API");
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
  const child = spawn(java, javaArgs(d.dynamoPort, { dataDir: paths.data }), { detached: true, stdio: ["ignore", logFd, logFd] });
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

/** A random secret per local deployment, kept across redeploys so that cursors stay valid. */
function cursorSecret(file: string): string {
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

/** What the local API process gets: only what it needs, as Lambda gives a function only its own environment (never the deployer's AWS credentials). */
export async function apiEnvironment(d: LocalDeployment, endpoint: string, handlerFile: string): Promise<NodeJS.ProcessEnv> {
  const paths = localPaths(d);
  const issuer = await ensureLocalIssuer(paths.issuer);
  return {
    ...pick(process.env, ["PATH", "HOME", "TMPDIR", "LANG", "TZ"]),
    LOCAL_API_HANDLER: handlerFile,
    LOCAL_API_PORT: String(d.apiPort),
    TABLE_NAME: d.tableName,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: LOCAL_REGION,
    CURSOR_SECRET: cursorSecret(paths.cursorSecret),
    // Bearer tokens are checked as the deployed API's JWT authorizer checks them; `make token` signs them.
    LOCAL_API_JWT_ISSUER: issuer.issuer,
    LOCAL_API_JWT_AUDIENCES: issuer.audience,
    LOCAL_API_JWKS: issuer.jwksFile,
    // As in Lambda, said in the kit's own words: pending migrations are reported, not applied; one log line per request.
    MIGRATIONS_ON_CONNECT: "fail",
    REQUEST_LOG: "on",
    LOCAL_API_FUNCTION_NAME: `local-${HANDLER}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
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

/** The local API's command: the adapter, run by tsx from the repository root. */
export const LOCAL_API_COMMAND = ["--import", "tsx", join("scripts", "localApi.ts")];

async function startApi(d: LocalDeployment, endpoint: string, url: string): Promise<number> {
  const paths = localPaths(d);
  await assertApiPortFree(d);
  const logFd = openSync(paths.apiLog, "a");
  const child = spawn(process.execPath, LOCAL_API_COMMAND, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", logFd, logFd],
    env: await apiEnvironment(d, endpoint, join(paths.artifact, "index.mjs")),
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

/** Stops the API process a `make deploy` left running, if any. */
export const stopDeployedApi = (d: LocalDeployment) => stopFromPidFile(localPaths(d).apiPid, API_MARKER);

/** Stops this deployment's DynamoDB Local, if running; its data stays on disk. */
export const stopDynamo = (d: LocalDeployment) => stopFromPidFile(localPaths(d).dynamoPid, DYNAMO_MARKER);
