/**
 * `make ui`: dynamodb-admin (the GUI people already use with DynamoDB Local)
 * on the local deployment's DynamoDB Local, which `make deploy` or `make dev`
 * started. It opens on the deployment's table; Ctrl-C stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { StarterError } from "@dynamodb-starter/kit/runtime";
import { waitUntilReady } from "@dynamodb-starter/kit/testing";
import { runCli } from "./cli";
import { localDeployment } from "./deployments";

const ADMIN = resolve(__dirname, "..", "node_modules", "dynamodb-admin", "dist", "dynamodb-admin.js");

export class LocalUiError extends StarterError<"LOCAL_UI"> {
  override name = "LocalUiError";
  constructor(message: string) {
    super("LOCAL_UI", message);
  }
}

/** Starts dynamodb-admin on `endpoint`; resolves once it answers, with the URL of `tableName`'s page. */
export async function startUi({
  endpoint,
  tableName,
  port,
}: {
  endpoint: string;
  tableName: string;
  port: number;
}): Promise<{ url: string; child: ChildProcess }> {
  try {
    await waitUntilReady(endpoint, { timeoutMs: 2_000 });
  } catch {
    throw new LocalUiError(`no DynamoDB Local answers on ${endpoint}: start the local deployment first (make deploy, or make dev).`);
  }
  const child = spawn(process.execPath, [ADMIN, "--dynamo-endpoint", endpoint, "--host", "127.0.0.1", "--port", String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, AWS_REGION: "us-east-1" },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new LocalUiError(`dynamodb-admin exited (code ${child.exitCode}); is port ${port} taken? Set LOCAL_UI_PORT.`);
    const answered = await fetch(base).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (waited > 15_000) throw new LocalUiError(`dynamodb-admin did not answer on ${base}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `${base}/tables/${encodeURIComponent(tableName)}`, child };
}

runCli(module, "ui", async () => {
  const d = localDeployment();
  const port = Number(process.env.LOCAL_UI_PORT ?? 8001);
  const { url, child } = await startUi({ endpoint: `http://127.0.0.1:${d.dynamoPort}`, tableName: d.tableName, port });
  console.log(`dynamodb-admin on ${url} (Ctrl-C stops it)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => child.kill("SIGTERM"));
  await new Promise((r) => child.once("exit", r));
});
