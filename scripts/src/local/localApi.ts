/**
 * Serves a built Lambda artifact (dist/<name>/index.mjs) over HTTP the way
 * an API Gateway HTTP API does: each request becomes a payload format 2.0
 * event, each result becomes a response. What runs locally is what ships.
 *
 * With LOCAL_API_JWT_ISSUER, LOCAL_API_JWT_AUDIENCES and LOCAL_API_JWKS it
 * also checks bearer tokens as the deployed API's JWT authorizer does
 * (jwtAuthorizer.ts), against the routes the artifact exports. It refuses
 * what API Gateway refuses before any function runs (a request line and
 * headers over 10,240 bytes, a body over 10 MB), and, being a server on a
 * developer's machine, any request not addressed to loopback (loopback.ts).
 *
 * Each release of the function runs in a worker thread of its own
 * (handlerWorker.mjs). LOCAL_API_ROUTING names a file listing the releases
 * and their shares of the requests, read again whenever it changes: a deploy
 * adds the new build beside the old one for a while (the local shift), then
 * leaves one. A release's 5xx answers and crashes are appended to
 * LOCAL_API_EVENTS, where the deploy watches for them; a crashed release
 * takes no more requests. LOCAL_API_HANDLER serves one build alone.
 *
 * Run as a process by the local deployment:
 *   node --import tsx scripts/src/local/localApi.ts    (LOCAL_API_ROUTING or LOCAL_API_HANDLER, LOCAL_API_PORT and the above from the environment)
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { appendFileSync, existsSync, readFileSync, statSync, watchFile } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { JSONWebKeySet } from "jose";
import { ConfigError, type RouteEntry } from "@dynamodb-starter/kit/runtime";
import { apiGatewayEvent } from "@dynamodb-starter/kit/testing";
import { runCli } from "../cli";
import { jwtAuthorizer, type Decision } from "./jwtAuthorizer";
import { isLoopbackHost } from "./loopback";

/** A release of the function and its share of the requests (the routing file holds a list of them). */
export interface RoutedRelease {
  id: string;
  /** Its built entry, index.mjs. */
  handler: string;
  weight: number;
}

/** What the API appends to its events file: a release ready, answering 5xx, crashed. */
export type ReleaseEvent =
  | { release: string; kind: "ready" }
  | { release: string; kind: "5xx"; status: number; route: string; requestId: string }
  | { release: string; kind: "crash"; message: string };

type Answer = { type: "result"; result: unknown } | { type: "error"; message: string } | { type: "crash"; message: string };

/** One release's worker thread: invoked one event at a time per call, as many calls at once as come. */
class ReleaseWorker {
  readonly ready: Promise<RouteEntry[]>;
  crashed: string | undefined;
  private readonly worker: Worker;
  private readonly pending = new Map<number, (answer: Answer) => void>();
  private next = 0;

  constructor(
    readonly release: RoutedRelease,
    private readonly note: (event: ReleaseEvent) => void,
  ) {
    this.worker = new Worker(join(__dirname, "handlerWorker.mjs"), { workerData: { handler: release.handler, release: release.id } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (message: { type: string; id?: number; routes?: RouteEntry[] } & Record<string, unknown>) => {
        if (message.type === "ready") {
          this.note({ release: release.id, kind: "ready" });
          resolve(message.routes ?? []);
        } else {
          this.pending.get(message.id!)?.(message as unknown as Answer);
          this.pending.delete(message.id!);
        }
      });
      const crash = (why: string) => {
        if (this.crashed !== undefined) return;
        this.crashed = why;
        this.note({ release: release.id, kind: "crash", message: why });
        reject(new ConfigError(`release ${release.id} (${release.handler}) did not start: ${why}`));
        for (const answer of this.pending.values()) answer({ type: "crash", message: why });
        this.pending.clear();
      };
      this.worker.on("error", (error) => crash(error.message));
      this.worker.on("exit", (code) => crash(`its process exited (code ${code})`));
    });
    this.ready.catch(() => {});
  }

  invoke(event: APIGatewayProxyEventV2, functionName: string, deadline: number): Promise<Answer> {
    if (this.crashed !== undefined) return Promise.resolve({ type: "crash", message: this.crashed });
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, event, functionName, deadline });
    });
  }

  async stop(): Promise<void> {
    this.crashed ??= "stopped";
    await this.worker.terminate();
  }
}

/** The releases to serve: the routing file's, read again when it changes, or the one handler given. */
class Releases {
  private workers = new Map<string, ReleaseWorker>();
  private routing: RoutedRelease[] = [];
  private seen = "";

  constructor(
    private readonly source: { routingFile: string } | { handlerFile: string },
    private readonly note: (event: ReleaseEvent) => void,
  ) {}

  /** Starts the workers of the current routing (and stops those it no longer lists); resolves once all are ready. */
  async refresh(): Promise<void> {
    let routing: RoutedRelease[];
    if ("handlerFile" in this.source) routing = [{ id: "local", handler: this.source.handlerFile, weight: 1 }];
    else {
      const stamp = existsSync(this.source.routingFile) ? String(statSync(this.source.routingFile).mtimeMs) : "";
      if (stamp === this.seen) return;
      this.seen = stamp;
      routing = (JSON.parse(readFileSync(this.source.routingFile, "utf8")) as { releases: RoutedRelease[] }).releases;
    }
    this.routing = routing;
    for (const release of routing) if (!this.workers.has(release.id)) this.workers.set(release.id, new ReleaseWorker(release, this.note));
    for (const [id, worker] of this.workers) {
      if (!routing.some((r) => r.id === id)) {
        this.workers.delete(id);
        void worker.stop();
      }
    }
    await Promise.allSettled([...this.workers.values()].map((w) => w.ready));
  }

  /** The routes the newest release exports: API Gateway's, as the deploy that added it configured them. */
  async routes(): Promise<RouteEntry[]> {
    const newest = this.routing.at(-1);
    return newest ? this.workers.get(newest.id)!.ready : [];
  }

  /** A release by the routing's weights, among those not crashed. */
  pick(): ReleaseWorker | undefined {
    const live = this.routing.filter((r) => r.weight > 0 && this.workers.get(r.id)?.crashed === undefined);
    let draw = Math.random() * live.reduce((sum, r) => sum + r.weight, 0);
    for (const release of live) if ((draw -= release.weight) < 0) return this.workers.get(release.id);
    return live.length ? this.workers.get(live.at(-1)!.id) : undefined;
  }

  get multiple(): boolean {
    return this.routing.length > 1;
  }
}

/** API Gateway's own limits: a 10 MB request payload, 10,240 bytes of request line and header values, a 30 s integration timeout. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_HEAD_BYTES = 10_240;
export const TIMEOUT_MS = 30_000;

/** What API Gateway counts against MAX_HEAD_BYTES: the request line and every header's value. */
export function headBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}`);
  for (let i = 1; i < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(req.rawHeaders[i]!);
  return bytes;
}

/** The authority a request is addressed to: that of an absolute-form target, else its Host header. */
const authorityOf = (req: IncomingMessage) => /^[a-z][a-z0-9+.-]*:\/\/([^/?]*)/i.exec(req.url ?? "")?.[1] ?? req.headers.host;

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml)))/i;

/** The payload format 2.0 event API Gateway would build for this request (with what its authorizer verified, if any). */
export function eventFromRequest(
  req: IncomingMessage,
  body: Buffer,
  now = new Date(),
  jwt?: { claims: Record<string, string>; scopes: string[] },
): APIGatewayProxyEventV2 {
  // The request target exactly as received: `new URL` would read "//x/items" as the host "x" and the path "/items".
  // An absolute-form target ("http://host/items", RFC 9112 section 3.2.2) is the path after its authority.
  const target = withoutAuthority(req.url ?? "/");
  const q = target.indexOf("?");
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === "cookie")
      cookies.push(
        ...value
          .split(";")
          .map((c) => c.trim())
          .filter(Boolean),
      );
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const text = body.length === 0 || TEXT_TYPES.test(headers["content-type"] ?? "");
  return apiGatewayEvent({
    method: req.method ?? "GET",
    rawPath: q < 0 ? target : target.slice(0, q),
    rawQueryString: q < 0 ? "" : target.slice(q + 1),
    headers,
    cookies,
    ...(body.length ? { body: text ? body.toString("utf8") : body.toString("base64") } : {}),
    isBase64Encoded: !text,
    protocol: `HTTP/${req.httpVersion}`,
    sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
    now,
    ...(jwt ? { jwt } : {}),
  });
}

/** A request target in origin-form: an absolute-form one without its scheme and authority. */
const withoutAuthority = (target: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, "") || "/" : target);

/** The path of a request target, as API Gateway routes it. */
export const pathOf = (target: string) => withoutAuthority(target).split("?")[0]!;

/** Writes a handler result as API Gateway does for format 2.0, including its inference for bare results. */
export function writeResult(res: ServerResponse, result: unknown): void {
  const structured =
    typeof result === "object" && result !== null && "statusCode" in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, headers: { "content-type": "application/json" }, body: typeof result === "string" ? result : JSON.stringify(result) };
  const headers: Record<string, string | string[]> = { ...(structured.headers as Record<string, string>) };
  if (structured.cookies?.length) headers["set-cookie"] = structured.cookies;
  const body = structured.body === undefined ? Buffer.alloc(0) : Buffer.from(structured.body, structured.isBase64Encoded ? "base64" : "utf8");
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(body);
}

const gatewayError = (res: ServerResponse, statusCode: number, message: string, headers: Record<string, string> = {}) =>
  writeResult(res, { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ message }) });

/** The authorizer's settings, as the local deployment passes them. */
export interface LocalAuth {
  issuer: string;
  audiences: string[];
  jwksFile: string;
}

export async function startLocalApi({
  handlerFile,
  routingFile,
  eventsFile,
  port,
  host = "127.0.0.1",
  auth,
}: {
  handlerFile?: string;
  routingFile?: string;
  eventsFile?: string;
  port: number;
  host?: string;
  auth?: LocalAuth;
}): Promise<Server> {
  if (!handlerFile && !routingFile) throw new ConfigError("startLocalApi needs a handlerFile or a routingFile");
  const note = (event: ReleaseEvent) => eventsFile && appendFileSync(eventsFile, `${JSON.stringify(event)}\n`);
  const releases = new Releases(routingFile ? { routingFile } : { handlerFile: handlerFile! }, note);
  await releases.refresh();
  // A deploy changes the routing with no request in flight: start (or stop) the releases it names at once.
  if (routingFile) watchFile(routingFile, { interval: 100 }, () => void releases.refresh());
  if (!releases.pick()) throw new ConfigError(`no release of the function could start: ${eventsFile ? `see ${eventsFile}` : "its module failed to load"}`);
  const jwks = auth ? (JSON.parse(readFileSync(auth.jwksFile, "utf8")) as JSONWebKeySet) : undefined;
  // One authorizer per route table: rebuilt only when a new release brings its own.
  let authorizer: { routes: RouteEntry[]; check: ReturnType<typeof jwtAuthorizer> } | undefined;
  const authorizerFor = async () => {
    if (!auth) return async (): Promise<Decision> => ({ allow: true });
    const routes = await releases.routes();
    if (authorizer?.routes !== routes) authorizer = { routes, check: jwtAuthorizer({ issuer: auth.issuer, audiences: auth.audiences, routes, jwks: jwks! }) };
    return authorizer.check;
  };
  const functionName = process.env.LOCAL_API_FUNCTION_NAME ?? "local-api";

  const server = createServer(async (req, res) => {
    if (!isLoopbackHost(authorityOf(req))) return gatewayError(res, 403, "Forbidden: this local API answers requests to localhost only");
    // API Gateway answers this before any authorizer; it documents the limit, not the status: 431 is HTTP's.
    if (headBytes(req) > MAX_HEAD_BYTES) return gatewayError(res, 431, `HTTP header is larger than ${MAX_HEAD_BYTES} bytes.`);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return gatewayError(res, 413, "Request Entity Too Large");
        chunks.push(chunk);
      }
    } catch {
      // The client went away before its body was complete (or sent a broken one): nobody is left to answer.
      res.destroy();
      return;
    }
    await releases.refresh();
    const decision = await (await authorizerFor())(req.method ?? "GET", pathOf(req.url ?? "/"), req.headers.authorization);
    if (!decision.allow) return gatewayError(res, decision.status, decision.message, decision.status === 401 ? { "www-authenticate": "Bearer" } : {});
    const event = eventFromRequest(req, Buffer.concat(chunks), new Date(), decision.jwt);
    const release = releases.pick();
    if (!release) return gatewayError(res, 502, "Bad Gateway");
    // Which build answered (as API Gateway's apigw-requestid says which request): the local shift's tests read it.
    res.setHeader("x-local-release", release.release.id);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const route = `${event.requestContext.http.method} ${event.rawPath}`;
    try {
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), TIMEOUT_MS)));
      const answer = await Promise.race([release.invoke(event, functionName, started + TIMEOUT_MS), timeout]);
      if (answer === "timeout") gatewayError(res, 503, "Service Unavailable");
      else if (answer.type === "result") {
        writeResult(res, answer.result);
        const status = (answer.result as { statusCode?: number } | null)?.statusCode ?? 200;
        if (status >= 500) note({ release: release.release.id, kind: "5xx", status, route, requestId: event.requestContext.requestId });
      } else {
        // An unhandled exception in the function, or its crash: API Gateway answers 500 with this body.
        console.error(JSON.stringify({ level: "error", requestId: event.requestContext.requestId, release: release.release.id, message: answer.message }));
        gatewayError(res, 500, "Internal Server Error");
        if (answer.type === "error") note({ release: release.release.id, kind: "5xx", status: 500, route, requestId: event.requestContext.requestId });
      }
    } finally {
      clearTimeout(timer);
      // No line of its own: the function logs one JSON line per request, with the route pattern, as in Lambda.
    }
  });
  // A request the HTTP parser rejects (say, an invalid chunk size) gets a 400, as from API Gateway, and never reaches us;
  // headers past Node's own parser limit (16 KB, beyond API Gateway's), a 431 as above.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

runCli(module, "localApi", async () => {
  const { LOCAL_API_HANDLER: handlerFile, LOCAL_API_ROUTING: routingFile, LOCAL_API_EVENTS: eventsFile } = process.env;
  const port = Number(process.env.LOCAL_API_PORT);
  if ((!handlerFile && !routingFile) || !port) throw new ConfigError("set LOCAL_API_ROUTING (or LOCAL_API_HANDLER, a built index.mjs) and LOCAL_API_PORT");
  const { LOCAL_API_JWT_ISSUER: issuer, LOCAL_API_JWT_AUDIENCES: audiences, LOCAL_API_JWKS: jwksFile } = process.env;
  const auth = issuer && audiences && jwksFile ? { issuer, audiences: audiences.split(","), jwksFile } : undefined;
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => process.exit(0));
  await startLocalApi({
    ...(routingFile ? { routingFile } : { handlerFile: handlerFile! }),
    ...(eventsFile ? { eventsFile } : {}),
    port,
    ...(auth ? { auth } : {}),
  });
  console.log(`local API serving ${routingFile ?? handlerFile} on http://127.0.0.1:${port}`);
});
