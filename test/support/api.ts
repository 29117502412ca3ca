/** Calls a handler the way API Gateway does, with a payload format 2.0 event built by the library's own builder. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { apiGatewayEvent } from "../../src/lib";

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

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export function apiEvent(method: string, path: string, call: Call = {}): APIGatewayProxyEventV2 {
  const hasBody = call.body !== undefined || call.rawBody !== undefined;
  return apiGatewayEvent({
    method,
    rawPath: path,
    rawQueryString: call.query ? new URLSearchParams(call.query).toString() : "",
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...call.headers },
    ...(hasBody ? { body: call.rawBody ?? JSON.stringify(call.body) } : {}),
    apiId: "test",
  });
}

/** `api(method, path, call)` and `allPages(path)` bound to one handler. */
export function apiClient(handler: Handler) {
  async function api(method: string, path: string, call: Call = {}): Promise<Reply> {
    const result = await handler(apiEvent(method, path, call));
    return {
      status: result.statusCode ?? 200,
      body: result.body ? JSON.parse(result.body) : undefined,
      headers: (result.headers ?? {}) as Record<string, string>,
    };
  }

  /** Every page of a list endpoint, following cursors. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON items; tests assert their shape
  async function allPages(path: string, query: Record<string, string> = {}): Promise<{ items: any[]; pages: number }> {
    const items: Reply["body"][] = [];
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

  return { api, allPages };
}
