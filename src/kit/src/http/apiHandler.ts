/**
 * The Lambda entry point of an HTTP API (API Gateway v2, payload format 2.0),
 * built from an app's definition: its routes, its migrations and how its
 * errors map to statuses. Every error is JSON { error: { code, message,
 * details? } }; unexpected ones are logged with the request id and answered
 * 500 without internals. Request bodies are never logged.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Migration } from "../migrations/migration";
import { openConnection, type Connection, type ConnectOptions } from "../runtime/connect";
import { metered, type Meter } from "../runtime/requestMeter";
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
   * One JSON line per request on stdout. Default: inside Lambda (AWS_LAMBDA_FUNCTION_NAME is set), or where
   * REQUEST_LOG=on asks for it (a local API serving the built artifact); off in tests and scripts.
   */
  logRequests?: boolean;
}

export function createApiHandler(api: ApiDefinition, { logRequests, ...options }: ApiHandlerOptions = {}): ApiHandler {
  const logging = logRequests ?? (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined || process.env.REQUEST_LOG === "on");
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
    const started = performance.now();
    const coldStart = served++ === 0;
    let routeName = "unmatched";
    /** The JSON error response for `error`, logged when it is the service's fault. */
    function failure(error: unknown): APIGatewayProxyStructuredResultV2 {
      const http = toHttpError(error, api.errors);
      if (http) {
        if (http.status >= 500) logFailure("warn", requestId, routeName, error);
        const body = { error: { code: http.httpCode, message: http.message, ...(http.details ? { details: http.details } : {}) } };
        return json(http.status, body, http.headers);
      }
      // Logged with the request id for the operator; the client learns nothing about internals.
      logFailure("error", requestId, routeName, error);
      return json(500, { error: { code: "internal", message: "internal error", requestId } });
    }

    const answer = async (): Promise<APIGatewayProxyStructuredResultV2> => {
      try {
        const matched = route(event);
        routeName = matched.route;
        await loadCursorSecret();
        return await matched.spec.handle({ event, params: matched.params, caller: admitted(matched, event), db, read });
      } catch (error) {
        return failure(error);
      }
    };
    const { result, meter } = await metered(answer);
    if (logging)
      logRequest({ requestId, route: routeName, status: result.statusCode ?? 200, durationMs: Math.round(performance.now() - started), coldStart, meter });
    return result;
  };
}

/** The app's routes and the library's public `GET /health`, unless the app defines its own. */
/** The route the kit adds unless the app defines its own. */
export const HEALTH_ROUTE = "GET /health";

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
 * One JSON line per request, in Lambda's JSON log format: the request id,
 * the route *pattern* (never the raw path, which carries identifiers), the
 * status, the duration, whether it was the process's first request, and
 * what it cost in DynamoDB. Never a body.
 */
function logRequest(line: { requestId: string; route: string; status: number; durationMs: number; coldStart: boolean; meter: Meter }): void {
  const { meter, ...rest } = line;
  console.log(JSON.stringify({ level: "info", type: "request", ...rest, dynamodb: { requests: meter.requests, capacityUnits: meter.capacityUnits } }));
}

/** One JSON log line per failed request: never the request; of the error, what errorLog.ts allows. */
function logFailure(level: "warn" | "error", requestId: string, route: string, error: unknown): void {
  console.error(JSON.stringify({ level, requestId, route, ...errorFields(error) }));
}
