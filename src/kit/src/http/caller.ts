/**
 * Who is calling: the claims of the JWT that API Gateway's JWT authorizer
 * (or the local deployment, which checks tokens the same way) verified, as
 * the event carries them. The library only reads them; what a caller may
 * touch is the app's to decide.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { HttpError } from "./errors";

export interface Caller {
  /** The token's `sub`: stable for one identity at one issuer. */
  subject: string;
  /** The token's `email`, where the identity provider puts it in the token. */
  email?: string;
  /** The token's scopes (`scope`, space-separated, or `scp`). */
  scopes: readonly string[];
}

/** What an HTTP API event carries once a JWT authorizer passed it. */
interface JwtAuthorizerContext {
  authorizer?: { jwt?: { claims?: Record<string, unknown>; scopes?: readonly string[] | null } };
}

/** The verified caller of `event`, or undefined when no authorizer ran (a public route). */
export function callerOf(event: APIGatewayProxyEventV2): Caller | undefined {
  const jwt = (event.requestContext as JwtAuthorizerContext).authorizer?.jwt;
  const claims = jwt?.claims ?? {};
  if (typeof claims.sub !== "string" || claims.sub === "") return undefined;
  const scopes = jwt?.scopes?.length ? [...jwt.scopes] : scopesOf(claims.scope ?? claims.scp);
  return { subject: claims.sub, ...(typeof claims.email === "string" ? { email: claims.email } : {}), scopes };
}

/** A scope claim as tokens carry it: a space-separated string, a list, or API Gateway's "[a b]" for a list. */
function scopesOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === "string");
  if (typeof claim !== "string") return [];
  return claim
    .replace(/^\[(.*)\]$/, "$1")
    .split(/\s+/)
    .filter(Boolean);
}

/** 401: the route needs a verified caller and the request has none. */
export const unauthenticated = () =>
  new HttpError(401, "unauthorized", "this route needs a bearer token from the API's identity provider", undefined, { "www-authenticate": "Bearer" });

/** 403: the caller is known, and may not do this. Nothing was changed. */
export const forbidden = (why: string) => new HttpError(403, "forbidden", why);
