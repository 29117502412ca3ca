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
 * Run as a process by the local deployment:
 *   node --import tsx scripts/src/local/localApi.ts    (LOCAL_API_HANDLER, LOCAL_API_PORT and the above from the environment)
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { JSONWebKeySet } from "jose";
import { ConfigError, type RouteEntry } from "@dynamodb-starter/kit/runtime";
import { apiGatewayEvent } from "@dynamodb-starter/kit/testing";
import { runCli } from "../cli";
import { jwtAuthorizer, type Decision } from "./jwtAuthorizer";
import { isLoopbackHost } from "./loopback";

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

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

function lambdaContext(requestId: string, functionName: string, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
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
  port,
  host = "127.0.0.1",
  auth,
}: {
  handlerFile: string;
  port: number;
  host?: string;
  auth?: LocalAuth;
}): Promise<Server> {
  const { handler, routes = [] } = (await import(pathToFileURL(handlerFile).href)) as { handler: Handler; routes?: RouteEntry[] };
  if (typeof handler !== "function") throw new ConfigError(`${handlerFile} exports no handler function`);
  const authorize = auth
    ? jwtAuthorizer({ issuer: auth.issuer, audiences: auth.audiences, routes, jwks: JSON.parse(readFileSync(auth.jwksFile, "utf8")) as JSONWebKeySet })
    : async (): Promise<Decision> => ({ allow: true });
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
    const decision = await authorize(req.method ?? "GET", pathOf(req.url ?? "/"), req.headers.authorization);
    if (!decision.allow) return gatewayError(res, decision.status, decision.message, decision.status === 401 ? { "www-authenticate": "Bearer" } : {});
    const event = eventFromRequest(req, Buffer.concat(chunks), new Date(), decision.jwt);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), TIMEOUT_MS)));
      const result = await Promise.race([handler(event, lambdaContext(event.requestContext.requestId, functionName, started + TIMEOUT_MS)), timeout]);
      if (result === "timeout") gatewayError(res, 503, "Service Unavailable");
      else writeResult(res, result);
    } catch (error) {
      // An unhandled exception in the function: API Gateway answers 500 with this body.
      console.error(
        JSON.stringify({ level: "error", requestId: event.requestContext.requestId, message: error instanceof Error ? error.message : String(error) }),
      );
      gatewayError(res, 500, "Internal Server Error");
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
  const handlerFile = process.env.LOCAL_API_HANDLER;
  const port = Number(process.env.LOCAL_API_PORT);
  if (!handlerFile || !port) throw new ConfigError("set LOCAL_API_HANDLER (a built index.mjs) and LOCAL_API_PORT");
  const { LOCAL_API_JWT_ISSUER: issuer, LOCAL_API_JWT_AUDIENCES: audiences, LOCAL_API_JWKS: jwksFile } = process.env;
  const auth = issuer && audiences && jwksFile ? { issuer, audiences: audiences.split(","), jwksFile } : undefined;
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => process.exit(0));
  await startLocalApi({ handlerFile, port, ...(auth ? { auth } : {}) });
  console.log(`local API serving ${handlerFile} on http://127.0.0.1:${port}`);
});
