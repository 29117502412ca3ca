/**
 * The Lambda entry point of an HTTP API (API Gateway v2, payload format 2.0),
 * built from an app's definition: its routes, its migrations and how its
 * errors map to statuses. Every error is JSON { error: { code, message,
 * details? } }; unexpected ones are logged with the correlation id and
 * answered 500 without internals. Each request is one invocation of
 * telemetry.ts: its correlation id (the caller's `x-correlation-id` when
 * well-formed, else API Gateway's request id) is echoed in the response, is
 * on every line logged while it runs and tags the items it writes; it ends
 * with one line that is also its metrics. Request bodies, tokens and
 * secrets are never logged.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Migration } from "../migrations/migration";
import { openConnection, type Connection, type ConnectOptions } from "../runtime/connect";
import { CORRELATION_HEADER, correlationIdFrom, emit, invocation, log, metricLine, serviceName, telemetryOn, type Invocation } from "../runtime/telemetry";
import { errorFields } from "../errorLog";
import { callerOf, forbidden, unauthenticated } from "./caller";
import { toHttpError, type ErrorMapping } from "./errors";
import { loadCursorSecret } from "./cursorSecret";
import { json } from "./response";
import { createRouter, routeTable, type Match, type RouteEntry, type RouteRequest, type Routes } from "./router";

/** What an app hands the library to be served. */
export interface ApiDefinition {
  /** The app's migration index, oldest first; connect() checks the table against it once per cold start. */
  migrations: readonly Migration[];
  /** "METHOD /path/{param}" -> handler or spec; every route needs a verified caller unless public. `GET /health` (public) is added unless the app defines its own. */
  routes: Routes;
  /** The app's error classes and the statuses they are answered with. */
  errors?: readonly ErrorMapping[];
}

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiHandlerOptions extends Omit<ConnectOptions, "migrations"> {
  /**
   * One JSON line per request (its log line and its metrics) on stdout. Default: inside Lambda
   * (AWS_LAMBDA_FUNCTION_NAME is set), or where TELEMETRY=on asks for it (a local deployment); off in tests and scripts.
   */
  logRequests?: boolean;
}

export function createApiHandler(api: ApiDefinition, { logRequests, ...options }: ApiHandlerOptions = {}): ApiHandler {
  const open = () => openConnection({ ...options, migrations: api.migrations });
  const db = async () => open().ready;
  const read = async <T>(work: (connection: Connection) => Promise<T>): Promise<T> => {
    const { connection, ready } = open();
    const [checked, result] = await Promise.allSettled([ready, work(connection)]);
    if (checked.status === "rejected") throw checked.reason;
    if (result.status === "rejected") throw result.reason;
    return result.value;
  };
  const route = createRouter(withHealth(api.routes));
  // Read while the runtime initialises the function, ahead of its first request; a failure is met by that request.
  loadCursorSecret().catch(() => {});

  let served = 0;
  return async function handler(event) {
    const requestId = event.requestContext.requestId;
    const correlationId = correlationIdFrom(event.headers?.[CORRELATION_HEADER], requestId);
    const started = performance.now();
    const coldStart = served++ === 0;
    let routeName = "unmatched";
    /** The JSON error response for `error`, logged when it is the service's fault. */
    function failure(error: unknown): APIGatewayProxyStructuredResultV2 {
      const http = toHttpError(error, api.errors);
      if (http) {
        if (http.status >= 500) log.warn("request failed", { route: routeName, ...errorFields(error) });
        const body = { error: { code: http.httpCode, message: http.message, ...(http.details ? { details: http.details } : {}) } };
        return json(http.status, body, http.headers);
      }
      // Logged with the correlation id for the operator; the client learns nothing about internals.
      log.error("request failed", { route: routeName, ...errorFields(error) });
      return json(500, { error: { code: "internal", message: "internal error", requestId } });
    }

    const answer = async (inv: Invocation): Promise<APIGatewayProxyStructuredResultV2> => {
      let result: APIGatewayProxyStructuredResultV2;
      try {
        const matched = route(event);
        routeName = matched.route;
        await loadCursorSecret();
        result = await matched.spec.handle({ event, params: matched.params, caller: admitted(matched, event), db, read });
      } catch (error) {
        result = failure(error);
      }
      if (logRequests ?? telemetryOn()) emit(requestLine(inv, { requestId, route: routeName, status: result.statusCode ?? 200, started, coldStart }));
      return { ...result, headers: { ...result.headers, [CORRELATION_HEADER]: correlationId } };
    };
    return invocation(correlationId, answer, (result) => (result.statusCode ?? 200) >= 500);
  };
}

/** The route the kit adds unless the app defines its own. */
export const HEALTH_ROUTE = "GET /health";

/** The app's routes and the library's public `GET /health`, unless the app defines its own. */
function withHealth(routes: Routes): Routes {
  // Public, so it names nothing: not the table, not the version. It answers once connect() has checked the table.
  const health = { public: true, handle: async ({ db }: RouteRequest) => (await db(), json(200, { status: "ok" })) };
  return { [HEALTH_ROUTE]: health, ...routes };
}

/** Every route of an app as the edge must know it: API Gateway's routes and authorizers, and the local deployment's checks. */
export const apiRouteTable = (api: Pick<ApiDefinition, "routes">): RouteEntry[] => routeTable(withHealth(api.routes));

/**
 * The caller a matched route admits. API Gateway's JWT authorizer already
 * refused what does not pass; this holds the same line for a route that
 * reached the function without it (a misconfigured stage, a direct invoke).
 */
function admitted({ spec }: Match, event: APIGatewayProxyEventV2) {
  const caller = callerOf(event);
  if (spec.public) return caller;
  if (!caller) throw unauthenticated();
  if (spec.scopes?.length && !spec.scopes.some((scope) => caller.scopes.includes(scope))) {
    throw forbidden(`this route needs one of the scopes ${spec.scopes.join(", ")}`);
  }
  return caller;
}

/**
 * One line per request, which is also its metrics (embedded metric format): by route *pattern* (never the raw
 * path, which carries identifiers), count, latency, status class, the DynamoDB units it consumed, whether it was
 * the process's first request. Never a body.
 */
function requestLine(inv: Invocation, r: { requestId: string; route: string; status: number; started: number; coldStart: boolean }) {
  const latency = Math.round((performance.now() - r.started) * 100) / 100;
  const metrics = {
    Requests: 1,
    Latency: latency,
    Errors4xx: r.status >= 400 && r.status < 500 ? 1 : 0,
    Errors5xx: r.status >= 500 ? 1 : 0,
    ReadUnits: inv.readUnits,
    WriteUnits: inv.writeUnits,
    ColdStart: r.coldStart ? 1 : 0,
  };
  // API Gateway's request id only when the caller named the request otherwise: each line is paid for by the byte.
  const properties = {
    correlationId: inv.correlationId,
    ...(r.requestId === inv.correlationId ? {} : { requestId: r.requestId }),
    status: r.status,
    dynamodbRequests: inv.requests,
  };
  return metricLine("request", { Service: serviceName(), Route: r.route }, metrics, properties, inv);
}
