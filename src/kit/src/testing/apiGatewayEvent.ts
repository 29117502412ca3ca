/**
 * The payload format 2.0 event API Gateway's HTTP API builds for a request:
 * one builder for the local adapter and for tests, so both hand the handler
 * what Lambda would.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { randomUUID } from "node:crypto";

import type { CallerClaims } from "../contract/appContract";

export type { CallerClaims };

export interface RequestParts {
  method: string;
  /** The path as received, still percent-encoded. */
  rawPath: string;
  /** Without the "?". */
  rawQueryString?: string;
  /** Lowercased names; repeated headers joined with commas, as API Gateway does. */
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  sourceIp?: string;
  protocol?: string;
  apiId?: string;
  requestId?: string;
  now?: Date;
  /** The claims and scopes of a token the JWT authorizer verified: present on routes that have one. */
  jwt?: { claims: Record<string, string>; scopes?: string[] };
}

export function apiGatewayEvent(parts: RequestParts): APIGatewayProxyEventV2 {
  const { method, rawPath, rawQueryString = "", headers = {}, cookies = [], body, apiId = "local", now = new Date() } = parts;
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId,
      domainName: headers.host ?? "localhost",
      domainPrefix: "localhost",
      http: {
        method: method.toUpperCase(),
        path: decodeOrKeep(rawPath),
        protocol: parts.protocol ?? "HTTP/1.1",
        sourceIp: parts.sourceIp ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: parts.requestId ?? randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(parts.jwt ? { authorizer: { jwt: { claims: parts.jwt.claims, scopes: parts.jwt.scopes ?? null } } } : {}),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: parts.isBase64Encoded ?? false,
  };
}

function decodeOrKeep(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The JWT authorizer context API Gateway hands the function for a verified token with these claims. */
export function jwtContext({ sub, email, emailVerified, scopes = [] }: CallerClaims): NonNullable<RequestParts["jwt"]> {
  const claims = {
    sub,
    ...(email ? { email } : {}),
    // A boolean claim reaches the function as the string API Gateway makes of it.
    ...(emailVerified === undefined ? {} : { email_verified: String(emailVerified) }),
    ...(scopes.length ? { scope: scopes.join(" ") } : {}),
  };
  return { claims, scopes: [...scopes] };
}
