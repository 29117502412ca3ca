/** Calls a handler the way API Gateway does, with a payload format 2.0 event built by the library's own builder. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { type CallerClaims } from "./apiGatewayEvent";
import { apiGatewayEvent, jwtContext } from "./apiGatewayEvent";

export interface Call {
  body?: unknown;
  /** Sent as is when a string (for broken JSON); JSON-encoded otherwise. */
  rawBody?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Who calls: the claims of a verified token (the client's default caller when absent), or "anonymous" for no token at all. */
  as?: CallerClaims | "anonymous";
}

/** The library tests' caller: authenticated, nothing more. */
export const TEST_CALLER: CallerClaims = { sub: "test-caller" };

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the API; tests assert its shape
  headers: Record<string, string>;
}

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export function apiEvent(method: string, path: string, call: Call = {}, caller: CallerClaims = TEST_CALLER): APIGatewayProxyEventV2 {
  const hasBody = call.body !== undefined || call.rawBody !== undefined;
  const as = call.as ?? caller;
  return apiGatewayEvent({
    method,
    rawPath: path,
    rawQueryString: call.query ? new URLSearchParams(call.query).toString() : "",
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...call.headers },
    ...(hasBody ? { body: call.rawBody ?? JSON.stringify(call.body) } : {}),
    apiId: "test",
    ...(as === "anonymous" ? {} : { jwt: jwtContext(as) }),
  });
}

/** `api(method, path, call)` and `allPages(path)` bound to one handler, calling as `caller` unless a call says otherwise. */
export function apiClient(handler: Handler, caller: CallerClaims = TEST_CALLER) {
  async function api(method: string, path: string, call: Call = {}): Promise<Reply> {
    const result = await handler(apiEvent(method, path, call, caller));
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

const headersOf = (headers: Headers) => {
  const all: Record<string, string> = {};
  headers.forEach((value, name) => (all[name] = value));
  return all;
};

/**
 * A `fetch` that answers from the handler in this process, as API Gateway would call it: for a typed client
 * (openapi-fetch's `createClient<paths>({ baseUrl, fetch })`) in tests, with no server. Calls as `caller`.
 */
export function handlerFetch(handler: Handler, caller: CallerClaims = TEST_CALLER): (input: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const body = request.body ? await request.text() : undefined;
    const event = apiGatewayEvent({
      method: request.method,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: headersOf(request.headers),
      ...(body === undefined ? {} : { body }),
      apiId: "test",
      jwt: jwtContext(caller),
    });
    const result = await handler(event);
    const status = result.statusCode ?? 200;
    return new Response(status === 204 ? null : (result.body ?? null), { status, headers: (result.headers ?? {}) as Record<string, string> });
  };
}
