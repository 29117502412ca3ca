import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../src/local/dynamoDbLocal";
import { LOCAL_API_COMMAND } from "../src/local/localDeployment";
import { TEMPLATE_ROOT } from "./support/env";

const dir = mkdtempSync(join(tmpdir(), "local-api-"));
let server: ChildProcess;
let url: string;

// A stand-in function that answers according to the path, so each API Gateway behaviour can be observed.
const HANDLER = `
export async function handler(event, context) {
  switch (event.rawPath) {
    case "/echo": return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ event, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() }) };
    case "/bare": return { hello: "world" };
    case "/binary": return { statusCode: 201, isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString("base64"), cookies: ["a=1", "b=2; HttpOnly"] };
    case "/throw": throw new Error("boom");
    default: return { statusCode: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ rawPath: event.rawPath }) };
  }
}`;

beforeAll(async () => {
  const handlerFile = join(dir, "index.mjs");
  writeFileSync(handlerFile, HANDLER);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The adapter runs as its own process, exactly as the local deployment starts it.
  // From the repository's root, as the local deployment starts it from the service's: its tsconfig resolves the kit.
  server = spawn(process.execPath, LOCAL_API_COMMAND, {
    cwd: TEMPLATE_ROOT,
    env: { ...process.env, LOCAL_API_HANDLER: handlerFile, LOCAL_API_PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((ready, failed) => {
    server.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("local API serving") && ready());
    server.once("exit", (code) => failed(new Error(`localApi exited with ${code}`)));
  });
});
afterAll(async () => {
  const exited = new Promise((done) => server.once("exit", done));
  server.kill("SIGTERM");
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

describe("local API Gateway adapter", () => {
  it("builds a payload format 2.0 event: lowercased headers, cookies, query, decoded path, text body", async () => {
    const response = await fetch(`${url}/echo?limit=5&tag=a&tag=b`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: "session=abc; theme=dark", "X-Trace": "t1" },
      body: JSON.stringify({ name: "Ada" }),
    });
    const { event, requestId, remaining } = await response.json();

    expect(response.status).toBe(200);
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "$default",
      rawPath: "/echo",
      rawQueryString: "limit=5&tag=a&tag=b",
      queryStringParameters: { limit: "5", tag: "a,b" },
      cookies: ["session=abc", "theme=dark"],
      body: '{"name":"Ada"}',
      isBase64Encoded: false,
      requestContext: { http: { method: "POST", path: "/echo", sourceIp: "127.0.0.1" }, stage: "$default", routeKey: "$default" },
    });
    expect(event.headers["content-type"]).toBe("application/json");
    expect(event.headers["x-trace"]).toBe("t1");
    expect(event.headers.cookie).toBeUndefined();
    expect(requestId).toBe(event.requestContext.requestId);
    expect(remaining).toBeGreaterThan(29_000);
  });

  it("base64-encodes a binary request body", async () => {
    const response = await fetch(`${url}/echo`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([0, 159, 146, 150]),
    });
    const { event } = await response.json();
    expect(event).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 159, 146, 150]).toString("base64") });
  });

  it("decodes base64 response bodies and turns cookies into set-cookie headers", async () => {
    const response = await fetch(`${url}/binary`);
    expect(response.status).toBe(201);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2; HttpOnly"]);
  });

  it("answers a result without statusCode as 200 JSON, as API Gateway infers", async () => {
    const response = await fetch(`${url}/bare`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ hello: "world" });
  });

  it("answers an unhandled exception with API Gateway's 500 body, not the error", async () => {
    const response = await fetch(`${url}/throw`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: "Internal Server Error" });
  });

  it("refuses a body over API Gateway's 10 MB limit with 413", async () => {
    const response = await fetch(`${url}/echo`, { method: "POST", body: new Uint8Array(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
  });

  it("hands the handler the path exactly as received: //x/items is not read as the host x", async () => {
    const reply = await raw("POST //x/items HTTP/1.1\r\nhost: localhost\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
    expect(reply).toMatch(/^HTTP\/1\.1 404/);
    expect(reply).toContain('{"rawPath":"//x/items"}');
  });

  it("accepts an absolute-form request target: the path is what follows the authority (RFC 9112, 3.2.2)", async () => {
    const reply = await raw("GET http://localhost:8080/items/a%2Fb?x=1 HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 404/);
    expect(reply).toContain('{"rawPath":"/items/a%2Fb"}');
  });

  it("answers only requests addressed to loopback: a rebound name in the Host or in an absolute-form target gets 403", async () => {
    for (const host of ["evil.example.com", "evil.example.com:3000", "127.0.0.1.evil.example.com", "192.0.2.2"]) {
      expect(await raw(`GET /echo HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403/);
    }
    expect(await raw("GET http://evil.example.com/echo HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 403/);
    expect(await raw("GET /echo HTTP/1.1\r\nconnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 (400|403)/); // no Host at all
    for (const host of ["localhost", "LOCALHOST:3000", "127.0.0.1:3000", "[::1]:3000"]) {
      expect(await raw(`GET /echo HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200/);
    }
  });

  it("refuses a request line and header values over API Gateway's 10,240 bytes with 431, and takes them at the limit", async () => {
    const line = "GET /echo HTTP/1.1";
    // The request line and the values of host, x-pad and connection: exactly 10,240 bytes with `within` bytes of padding.
    const within = 10_240 - Buffer.byteLength(line) - Buffer.byteLength("localhost") - Buffer.byteLength("close");
    const exact = await raw(`${line}\r\nhost: localhost\r\nx-pad: ${"p".repeat(within)}\r\nconnection: close\r\n\r\n`);
    expect(exact).toMatch(/^HTTP\/1\.1 200/);
    const over = await raw(`${line}\r\nhost: localhost\r\nx-pad: ${"p".repeat(within + 1)}\r\nconnection: close\r\n\r\n`);
    expect(over).toMatch(/^HTTP\/1\.1 431/);
    expect(over).toContain("HTTP header is larger than 10240 bytes.");
    // Past Node's own parser limit too: still a 431, never a hang or a 400.
    expect(await raw(`${line}\r\nhost: localhost\r\nx-pad: ${"p".repeat(20_000)}\r\nconnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
  });

  it("survives 1,000 aborted or malformed requests in a row, then still answers", async () => {
    const broken = [
      // A Content-Length longer than the body, then the client disconnects.
      'POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":',
      // A chunked body with an invalid chunk size.
      "POST /echo HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      // A chunked body cut off in the middle of a chunk.
      "POST /echo HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n10\r\nhel",
    ];
    for (let i = 0; i < 1_000; i++) await raw(broken[i % broken.length]!, 5);
    expect(server.exitCode).toBeNull();
    const response = await fetch(`${url}/bare`);
    expect(response.status).toBe(200);
  }, 60_000);
});

/** Writes `request` on a fresh socket; resolves with what came back once the server closes it or `closeAfterMs` passes. */
function raw(request: string, closeAfterMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1", () => socket.write(request));
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    setTimeout(() => socket.destroy(), closeAfterMs);
  });
}
