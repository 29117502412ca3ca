/**
 * A small router for API Gateway v2 events: routes are "METHOD /path/{param}"
 * patterns; a known path with another method is a 405 with an Allow header.
 * Path segments are matched encoded and decoded one by one, so an encoded
 * "/" stays inside its parameter, where validation refuses it.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Connection } from "../runtime/connect";
import type { Caller } from "./caller";
import { HttpError } from "./errors";

export type Result = APIGatewayProxyStructuredResultV2;

export interface RouteRequest {
  event: APIGatewayProxyEventV2;
  /** Path parameters, decoded: `{email}` in the pattern is `params.email`. */
  params: Record<string, string>;
  /** The verified caller; always there on a route that is not public. What they may touch is the route's to decide. */
  caller: Caller | undefined;
  /** The table, checked once per cold start. Validate input first, then call it: bad input then costs no request. */
  db: () => Promise<Connection>;
  /**
   * For reads: runs `work` at once, alongside a cold start's table check
   * instead of after it, and returns its result once the check has passed
   * too (if the check fails, its error wins and the result is dropped). A
   * cold start's first read then costs one round trip, not two. Never for
   * writes: a write must not reach a table that has not passed the check.
   */
  read: <T>(work: (connection: Connection) => Promise<T>) => Promise<T>;
}

export type RouteHandler = (request: RouteRequest) => Promise<Result>;

/** Who may call a route. By default: any verified caller. */
export interface RouteAccess {
  /** Anyone, without a token (API Gateway runs no authorizer for it). */
  public?: boolean;
  /** A verified caller whose token has at least one of these scopes (checked at the edge and again here). */
  scopes?: readonly string[];
}

export interface RouteSpec extends RouteAccess {
  handle: RouteHandler;
}

/** "METHOD /path/{param}" -> handler (any verified caller), or a spec that says who may call it. */
export type Routes = Record<string, RouteHandler | RouteSpec>;

/** One route as the edge must know it: `GET /items/{id}` in API Gateway's route-key syntax, and who may call it. */
export interface RouteEntry {
  routeKey: string;
  public: boolean;
  scopes: string[];
}

/** The route table for the edge (API Gateway routes and their authorization, the local deployment's checks). */
export function routeTable(routes: Routes): RouteEntry[] {
  return Object.entries(routes).map(([routeKey, route]) => ({
    routeKey,
    public: typeof route !== "function" && route.public === true,
    scopes: typeof route === "function" ? [] : [...(route.scopes ?? [])],
  }));
}

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  spec: RouteSpec;
}

export interface Match {
  /** The matched pattern, "GET /items/{id}": for logs, never the raw path. */
  route: string;
  params: Record<string, string>;
  spec: RouteSpec;
}

export function createRouter(table: Routes) {
  const routes: Route[] = Object.entries(table).map(([key, route]) => {
    const [method, pattern] = key.split(" ") as [string, string];
    return { method, pattern, segments: pattern.split("/").slice(1), spec: typeof route === "function" ? { handle: route } : route };
  });

  return function match(event: APIGatewayProxyEventV2): Match {
    const method = event.requestContext.http.method.toUpperCase();
    const raw = event.rawPath.split("/").slice(1);
    let segments: string[];
    try {
      segments = raw.map((s) => decodeURIComponent(s));
    } catch {
      throw new HttpError(400, "invalid_path", "the path is not validly percent-encoded");
    }
    const allowed: string[] = [];
    for (const route of routes) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const fits = route.segments.every((part, i) => {
        const value = segments[i]!;
        if (part.startsWith("{")) {
          params[part.slice(1, -1)] = value;
          return value.length > 0;
        }
        return part === value;
      });
      if (!fits) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      return { route: `${route.method} ${route.pattern}`, params, spec: route.spec };
    }
    if (allowed.length > 0)
      throw new HttpError(405, "method_not_allowed", `${method} is not allowed here; use ${allowed.join(", ")}`, undefined, { allow: allowed.join(", ") });
    throw new HttpError(404, "not_found", `no route for ${method} ${event.rawPath}`);
  };
}
