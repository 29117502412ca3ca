/**
 * API Gateway's JWT authorizer, for the local API: the same decision for the
 * same request, as AWS documents it. A route resolves as API Gateway resolves
 * it (a declared route, else `$default`); a public route runs no authorizer;
 * any other needs a token in `Authorization` ("Bearer " optional) whose
 * header names a `kid` of the issuer's keys, whose signature verifies against
 * that key (RSA only, never `alg: none`), whose `iss` is the issuer, whose
 * `aud` is one of the audiences (`client_id` is read only when the token has
 * no `aud`), that has an `exp` still ahead, no `nbf` ahead and no `iat`
 * ahead — else 401. A route with scopes needs one of them in the token's
 * `scope` or `scp` — else 403. Verification is `jose`'s; nothing here parses
 * a signature by hand.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { createRouter, type RouteEntry, type Routes } from "@dynamodb-starter/kit/runtime";

export interface JwtAuthorizerOptions {
  issuer: string;
  audiences: readonly string[];
  jwks: JSONWebKeySet;
  routes: readonly RouteEntry[];
}

export type Decision =
  { allow: true; jwt?: { claims: Record<string, string>; scopes: string[] } } | { allow: false; status: 401 | 403; message: "Unauthorized" | "Forbidden" };

const UNAUTHORIZED = { allow: false, status: 401, message: "Unauthorized" } as const;
const FORBIDDEN = { allow: false, status: 403, message: "Forbidden" } as const;
const DEFAULT_ROUTE: RouteEntry = { routeKey: "$default", public: false, scopes: [] };
const ALGORITHMS = ["RS256", "RS384", "RS512"];

export function jwtAuthorizer({ issuer, audiences, jwks, routes }: JwtAuthorizerOptions) {
  const keys = createLocalJWKSet(jwks);
  const table: Routes = Object.fromEntries(routes.map((entry) => [entry.routeKey, { handle: async () => ({}), ...entry }]));
  const match = createRouter(table);
  const routeOf = (method: string, rawPath: string): RouteEntry => {
    try {
      const matched = match({ rawPath, requestContext: { http: { method } } } as Parameters<typeof match>[0]);
      return routes.find((r) => r.routeKey === matched.route) ?? DEFAULT_ROUTE;
    } catch {
      return DEFAULT_ROUTE; // no declared route (or a 405): API Gateway sends it to $default
    }
  };

  return async function authorize(method: string, rawPath: string, authorization: string | undefined): Promise<Decision> {
    const route = routeOf(method, rawPath);
    if (route.public) return { allow: true };
    const token = authorization?.replace(/^Bearer\s+/i, "").trim();
    if (!token || !namesKey(token)) return UNAUTHORIZED;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer, algorithms: ALGORITHMS, requiredClaims: ["exp"] }));
    } catch {
      return UNAUTHORIZED;
    }
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000) return UNAUTHORIZED;
    // API Gateway evaluates aud when the token has one, and client_id only when it has none.
    const aud = payload.aud !== undefined ? [payload.aud].flat() : [payload.client_id];
    if (!aud.some((a) => typeof a === "string" && audiences.includes(a))) return UNAUTHORIZED;
    const scopes = scopesOf(payload.scope ?? payload.scp);
    if (route.scopes.length && !route.scopes.some((s) => scopes.includes(s))) return FORBIDDEN;
    return { allow: true, jwt: { claims: claimsOf(payload), scopes } };
  };
}

/** Whether the token's header names its key: API Gateway picks the key by `kid` and refuses a token without one. */
function namesKey(token: string): boolean {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === "string" && kid !== "";
  } catch {
    return false;
  }
}

const scopesOf = (claim: unknown): string[] =>
  Array.isArray(claim) ? claim.filter((s): s is string => typeof s === "string") : typeof claim === "string" ? claim.split(" ").filter(Boolean) : [];

/** Claims as API Gateway hands them to the function: strings, a list as "[a b]". */
function claimsOf(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [
      name,
      typeof value === "string" ? value : Array.isArray(value) ? `[${value.join(" ")}]` : JSON.stringify(value),
    ]),
  );
}
