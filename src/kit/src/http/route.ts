/**
 * A route that declares its contract: the schemas of its path parameters, query and JSON body, which the route
 * validates before the handler runs (a 400 listing every problem, nothing written), and the responses it answers,
 * each status with its body's schema. The handler gets the parsed input, typed from the schemas, and returns
 * `{ status, body }`: a status the route does not declare, or a body of another shape, fails the type check. The same
 * declaration is what OpenAPI is generated from (`openApiDocument` of `/contract`, at build or test time only).
 */
import type * as z from "zod/mini";
import { jsonBody, parse } from "./request";
import { json } from "./response";
import type { Result, RouteAccess, RouteRequest, RouteSpec } from "./router";

type Schema = z.ZodMiniType;

/**
 * A response schema kept off the cold path: the handler never needs it (it validates input, not its own answers), so
 * it can live in a module that only the spec's generator loads, with import(): `lazySchema(() => import("./responses"),
 * "user")`. The type checker still holds the handler to it.
 */
export interface LazySchema<S extends Schema = Schema> {
  readonly load: () => Promise<S>;
}

export function lazySchema<M, K extends keyof M>(load: () => Promise<M>, key: K): LazySchema<M[K] & Schema> {
  return { load: async () => (await load())[key] as M[K] & Schema };
}

/** Status -> the schema of the body answered with it (or a lazy one), or null for none (204). */
export type Responses = Readonly<Record<number, Schema | LazySchema | null>>;

type BodyOf<T> = T extends LazySchema<infer S> ? z.output<S> : T extends Schema ? z.output<T> : never;

/** What a declared route's handler answers: one of its statuses, with a body of that status's schema. */
export type RouteReply<R extends Responses> = {
  [S in keyof R & number]: R[S] extends null
    ? { status: S; body?: undefined; headers?: Record<string, string> }
    : { status: S; body: BodyOf<R[S]>; headers?: Record<string, string> };
}[keyof R & number];

type Output<S> = S extends Schema ? z.output<S> : undefined;

export interface DeclaredRequest<P, Q, B> extends Omit<RouteRequest, "params"> {
  params: { [K in keyof P]: Output<P[K]> };
  query: Output<Q>;
  body: Output<B>;
}

export interface RouteDeclaration<
  P extends Readonly<Record<string, Schema>> = Readonly<Record<string, Schema>>,
  Q extends Schema | undefined = Schema | undefined,
  B extends Schema | undefined = Schema | undefined,
  R extends Responses = Responses,
> extends RouteAccess {
  /** One line for the operation's summary in OpenAPI. */
  summary?: string;
  /** A schema per `{name}` of the path. */
  params?: P;
  /** The query string's parameters, as one object schema (values arrive as strings). */
  query?: Q;
  /** The JSON body's schema; the route then also answers 413 and 415. */
  body?: B;
  /** The statuses it answers on success, each with its body's schema (null: no body). */
  responses: R;
  /**
   * The error statuses of its own, from the app's checks and error mappings (403, 404, 409...). The kit adds the ones
   * every route has: 400, 401 and 403 unless public, 404, 405, 429, 503; 413 and 415 with a body.
   */
  errors?: readonly number[];
  handle: (request: DeclaredRequest<P, Q, B>) => Promise<RouteReply<NoInfer<R>>>;
}

/** A declared route: a RouteSpec whose `declared` the OpenAPI generator and the contract tests read. */
export interface DeclaredRoute extends RouteSpec {
  declared: Omit<RouteDeclaration, "handle">;
}

export function route<
  P extends Readonly<Record<string, Schema>> = Record<never, never>,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Responses = Responses,
>(declaration: RouteDeclaration<P, Q, B, R>): DeclaredRoute {
  const { handle, ...declared } = declaration;
  return {
    ...(declared.public === undefined ? {} : { public: declared.public }),
    ...(declared.scopes === undefined ? {} : { scopes: declared.scopes }),
    declared: declared as Omit<RouteDeclaration, "handle">,
    async handle(request): Promise<Result> {
      const { event } = request;
      // Everything is checked before the handler runs: bad input costs no request.
      const params = Object.fromEntries(
        Object.entries(declared.params ?? {}).map(([name, schema]) => [name, parse(schema, request.params[name], `${name} in the path`)]),
      );
      const query = declared.query ? parse(declared.query, event.queryStringParameters ?? {}, "query parameters") : undefined;
      const body = declared.body ? parse(declared.body, jsonBody(event), "body") : undefined;
      const reply = (await handle({ ...request, params, query, body } as DeclaredRequest<P, Q, B>)) as {
        status: number;
        body?: unknown;
        headers?: Record<string, string>;
      };
      return declared.responses[reply.status] === null || reply.body === undefined
        ? { statusCode: reply.status, ...(reply.headers ? { headers: reply.headers } : {}) }
        : json(reply.status, reply.body, reply.headers);
    },
  };
}

/** Whether a route of a route table declares its contract. */
export const isDeclared = (route: unknown): route is DeclaredRoute => typeof route === "object" && route !== null && "declared" in route;
