/**
 * One non-HTTP function of the local deployment, in a process of its own as
 * in Lambda, running its built artifact:
 *
 * - a stream consumer reads DynamoDB Local's own stream through the kit's
 *   localStreamMapping, with its trigger's batch size, retries, record age,
 *   bisect and partial batch failures; a batch given up on is appended to
 *   the failure file (the local failure destination), which `make logs` shows;
 *   where it stopped is kept in a file, so a redeploy carries on from there;
 * - a scheduled job runs on its `rate(...)` (cron and at expressions run
 *   only on demand here: `make invoke NAME=...`).
 *
 *   node --import tsx scripts/src/local/localFunction.ts   (LOCAL_FUNCTION_* and the function's environment from the environment)
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ConfigError, createClient, LOCAL_REGION } from "@dynamodb-starter/kit/runtime";
import { describeTable } from "@dynamodb-starter/kit/ops";
import { localStreamMapping } from "@dynamodb-starter/kit/testing";
import type { ScheduleTrigger, StreamTrigger, Trigger } from "@dynamodb-starter/kit/runtime";
import { runCli } from "../cli";

type Handler = (event: unknown, context: LocalContext) => Promise<unknown>;

export interface LocalContext {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** Runs `handler` once as Lambda would: a context with the time left, and the timeout enforced. */
export async function invokeOnce(handler: Handler, event: unknown, { functionName, timeoutSeconds }: { functionName: string; timeoutSeconds: number }) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const context = { functionName, awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${timeoutSeconds} seconds`)), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([handler(event, context), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function loadHandler(file: string): Promise<Handler> {
  const module = (await import(pathToFileURL(file).href)) as { handler?: Handler };
  if (typeof module.handler !== "function") throw new ConfigError(`${file} exports no handler`);
  return module.handler;
}

/** `rate(5 minutes)` in milliseconds, or undefined for cron() and at() expressions. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (!match) return undefined;
  const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[match[2]!.replace(/s$/, "") as "minute" | "hour" | "day"];
  return Number(match[1]) * unit;
}

function runStream(handler: Handler, trigger: StreamTrigger, env: NodeJS.ProcessEnv, invoke: { functionName: string; timeoutSeconds: number }) {
  const positionFile = env.LOCAL_FUNCTION_POSITION!;
  const positions: Record<string, string> = existsSync(positionFile) ? (JSON.parse(readFileSync(positionFile, "utf8")) as Record<string, string>) : {};
  return async () => {
    const client = createClient({ region: LOCAL_REGION, endpoint: env.DYNAMODB_ENDPOINT! });
    const streamArn = (await describeTable(client, env.TABLE_NAME!))?.LatestStreamArn;
    client.destroy();
    if (!streamArn) throw new ConfigError(`table ${env.TABLE_NAME} has no stream: make deploy's pre-step turns it on`);
    const mapping = localStreamMapping({
      endpoint: env.DYNAMODB_ENDPOINT!,
      streamArn,
      batchSize: trigger.batchSize,
      maximumRetryAttempts: trigger.maximumRetryAttempts,
      maximumRecordAgeSeconds: trigger.maximumRecordAgeSeconds,
      functionArn: `local:${invoke.functionName}`,
      handler: (event) => invokeOnce(handler, event, invoke) as never,
      position: {
        get: (shard) => positions[shard],
        set: (shard, sequence) => {
          positions[shard] = sequence;
          writeFileSync(positionFile, JSON.stringify(positions));
        },
      },
      onFailure: (failure) => {
        appendFileSync(env.LOCAL_FUNCTION_FAILURES!, `${JSON.stringify(failure)}\n`);
        console.error(JSON.stringify({ level: "error", type: "failure-destination", function: invoke.functionName, ...failure.DDBStreamBatchInfo }));
      },
      log: (line) => console.log(JSON.stringify({ level: "info", message: line })),
    });
    mapping.start(Number(env.LOCAL_FUNCTION_POLL_MS ?? 250));
    console.log(`local function ${invoke.functionName} reading the stream of ${env.TABLE_NAME}`);
    return () => mapping.stop();
  };
}

function runSchedule(handler: Handler, trigger: ScheduleTrigger, invoke: { functionName: string; timeoutSeconds: number }) {
  return async () => {
    const every = rateMs(trigger.expression);
    const run = async () => {
      try {
        const result = await invokeOnce(handler, { source: "schedule", schedule: invoke.functionName }, invoke);
        console.log(JSON.stringify({ level: "info", type: "scheduled-run", function: invoke.functionName, result }));
      } catch (error) {
        console.error(JSON.stringify({ level: "error", type: "scheduled-run", function: invoke.functionName, error: (error as Error).message }));
      }
    };
    const timer = every ? setInterval(run, every) : undefined;
    console.log(
      `local function ${invoke.functionName} scheduled ${every ? `every ${every / 1000} s` : `"${trigger.expression}": on demand only here (make invoke)`}`,
    );
    return async () => clearInterval(timer);
  };
}

runCli(module, "local function", async () => {
  const env = process.env;
  const trigger = JSON.parse(env.LOCAL_FUNCTION_TRIGGER ?? "{}") as Partial<Extract<Trigger, { stream: unknown }> & Extract<Trigger, { schedule: unknown }>>;
  const invoke = { functionName: env.AWS_LAMBDA_FUNCTION_NAME!, timeoutSeconds: Number(env.LOCAL_FUNCTION_TIMEOUT_SECONDS ?? 30) };
  const handler = await loadHandler(env.LOCAL_FUNCTION_HANDLER!);
  if (env.LOCAL_FUNCTION_ONCE) {
    const result = await invokeOnce(handler, { source: "invoke" }, invoke);
    console.log(JSON.stringify(result ?? null, null, 2));
    process.exit(0); // the handler's clients keep sockets open, as they would between Lambda invocations
  }
  const start = trigger.stream
    ? runStream(handler, trigger.stream, env, invoke)
    : trigger.schedule
      ? runSchedule(handler, trigger.schedule, invoke)
      : undefined;
  if (!start) throw new ConfigError("LOCAL_FUNCTION_TRIGGER must be a stream or schedule trigger");
  const stop = await start();
  await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
  await stop(); // the batch in hand is finished and its place kept
  process.exit(0);
});
