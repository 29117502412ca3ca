/**
 * `make ui`: dynamodb-admin (the GUI people already use with DynamoDB Local)
 * on the local deployment's DynamoDB Local, which `make deploy` or `make dev`
 * started. It opens on the deployment's table; Ctrl-C stops it. It listens on
 * 127.0.0.1 and answers only requests addressed to loopback (loopback.ts):
 * it can write and delete every table.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createAdmin } from "dynamodb-admin";
import { createClient, LOCAL_REGION, StarterError } from "@dynamodb-starter/kit/runtime";
import { waitUntilReady } from "./dynamoDbLocal";
import { localDeployment } from "../deployments";
import { isLoopbackHost } from "./loopback";

export class LocalUiError extends StarterError<"LOCAL_UI"> {
  override name = "LocalUiError";
  constructor(message: string) {
    super("LOCAL_UI", message);
  }
}

/** Serves dynamodb-admin on `endpoint`; resolves once it listens, with the URL of `tableName`'s page. */
export async function startUi({
  endpoint,
  tableName,
  port,
}: {
  endpoint: string;
  tableName: string;
  port: number;
}): Promise<{ url: string; close(): Promise<void> }> {
  try {
    await waitUntilReady(endpoint, { timeoutMs: 2_000 });
  } catch {
    throw new LocalUiError(`no DynamoDB Local answers on ${endpoint}: start the local deployment first (make deploy, or make dev).`);
  }
  const client = createClient({ region: LOCAL_REGION, endpoint });
  const admin = createAdmin({ dynamoDbClient: client });
  const server: Server = createHttpServer((req, res) => {
    if (isLoopbackHost(req.headers.host)) return admin(req, res);
    res.writeHead(403, { "content-type": "text/plain" }).end("this local UI answers requests to localhost only\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new LocalUiError(`port ${port} is taken: set LOCAL_UI_PORT to another one.`) : error),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const close = () => new Promise<void>((resolve) => server.close(() => (client.destroy(), resolve())));
  return { url: `http://127.0.0.1:${port}/tables/${encodeURIComponent(tableName)}`, close };
}

/** `make ui`: until Ctrl-C. */
export async function main(): Promise<void> {
  const d = localDeployment();
  const port = Number(process.env.LOCAL_UI_PORT ?? 8001);
  const { url, close } = await startUi({ endpoint: `http://127.0.0.1:${d.dynamoPort}`, tableName: d.tableName, port });
  console.log(`dynamodb-admin on ${url} (Ctrl-C stops it)`);
  await new Promise((resolve) => ["SIGINT", "SIGTERM"].forEach((signal) => process.once(signal, resolve)));
  await close();
}
