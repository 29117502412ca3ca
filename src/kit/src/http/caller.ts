/**
 * Who is calling: the claims of the JWT that API Gateway's JWT authorizer
 * (or the local deployment, which checks tokens the same way) verified, as
 * the event carries them. The library only reads them; what a caller may
 * touch is the app's to decide.
 *
 * A caller *is* its `subject`: the one claim an identity provider never
 * hands to another account. An email is not an identity: most providers let
 * a user type any address into their profile, and put it in the token before
 * anyone has checked it. So the caller carries an email only as
 * `verifiedEmail`, and only when the token says the provider verified it
 * (`email_verified`); a token with an unverified `email` carries none. Key
 * what a user owns by the subject that created it; use a verified email at
 * most to match a caller to something an admin made for that address.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { HttpError } from "./errors";

export interface Caller {
  /** The token's `sub`: stable for one identity at one issuer, never reassigned. Authorize by this. */
  subject: string;
  /** The token's `email`, only when its `email_verified` is true; never an identity on its own (see above). */
  verifiedEmail?: string;
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
  const verified = claims.email_verified === true || claims.email_verified === "true"; // API Gateway hands claims over as strings
  return { subject: claims.sub, ...(verified && typeof claims.email === "string" && claims.email !== "" ? { verifiedEmail: claims.email } : {}), scopes };
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
