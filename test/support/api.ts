/** Calls the API handler the way API Gateway does, with a payload format 2.0 event. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { handler } from "../../src/handlers/api";

export interface Call {
  body?: unknown;
  /** Sent as is when a string (for broken JSON); JSON-encoded otherwise. */
  rawBody?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the API; tests assert its shape
  headers: Record<string, string>;
}

export function apiEvent(method: string, path: string, call: Call = {}): APIGatewayProxyEventV2 {
  const hasBody = call.body !== undefined || call.rawBody !== undefined;
  const query = call.query ? new URLSearchParams(call.query).toString() : "";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...call.headers },
    ...(call.query ? { queryStringParameters: call.query } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "test",
      domainName: "test",
      domainPrefix: "test",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "jest" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(hasBody ? { body: call.rawBody ?? JSON.stringify(call.body) } : {}),
    isBase64Encoded: false,
  };
}

export async function api(method: string, path: string, call: Call = {}): Promise<Reply> {
  const result = await handler(apiEvent(method, path, call));
  return {
    status: result.statusCode ?? 200,
    body: result.body ? JSON.parse(result.body) : undefined,
    headers: (result.headers ?? {}) as Record<string, string>,
  };
}

/** Every page of a list endpoint, following cursors. */
export async function allPages(path: string, query: Record<string, string> = {}): Promise<{ items: any[]; pages: number }> {
  const items: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let cursor: string | undefined;
  let pages = 0;
  do {
    const reply = await api("GET", path, { query: { ...query, ...(cursor ? { cursor } : {}) } });
    if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    items.push(...reply.body.items);
    cursor = reply.body.cursor;
    pages++;
  } while (cursor);
  return { items, pages };
}
