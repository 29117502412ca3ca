/**
 * What the tooling (seed import, load test, benchmark, the wiring checks and
 * the local deployment) needs to know about an app, and nothing more. The app
 * fills one AppContract (src/app/contract.ts); the tools read it instead of
 * naming the app's routes, entities or keys.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type * as z from "zod/mini";
import type { ApiDefinition } from "../http/apiHandler";

/** The claims of a token a caller presents: what the identity provider would put in it. */
export interface CallerClaims {
  sub: string;
  email?: string;
  /** Whether the provider verified `email` (the token's `email_verified`); absent: the token says nothing. */
  emailVerified?: boolean;
  scopes?: readonly string[];
}

/** One request to the app's API, who sends it, and the status it must get. */
export interface SampleRequest {
  /** A caller of the contract's `callers` (the first one when absent); tools turn it into a token or an authorizer context. */
  as?: string;
  method: string;
  /** As a client sends it, percent-encoded where needed. */
  path: string;
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  status: number;
  /**
   * Values to keep from the response's JSON body for later requests: name -> dotted path ("cursor",
   * "items.0.id"). A later request writes `{{name}}` in its path, a query value or a body string.
   */
  capture?: Record<string, string>;
}

/** A walk through sample requests, each sent with the values earlier ones captured; `send` answers status and JSON body. */
export async function walk(
  requests: readonly SampleRequest[],
  send: (request: SampleRequest) => Promise<{ status: number; body: unknown }>,
  check: (request: SampleRequest, reply: { status: number; body: unknown }) => void,
): Promise<Record<string, string>> {
  const captured: Record<string, string> = {};
  for (const sample of requests) {
    const request = withCaptured(sample, captured);
    const reply = await send(request);
    check(request, reply);
    for (const [name, path] of Object.entries(sample.capture ?? {})) captured[name] = valueAt(reply.body, path, `${sample.method} ${sample.path}`);
  }
  return captured;
}

/** `request` with every `{{name}}` in its path, query values and body strings replaced by what was captured. */
export function withCaptured(request: SampleRequest, captured: Readonly<Record<string, string>>): SampleRequest {
  const fill = (text: string) =>
    text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (!(name in captured)) throw new Error(`${request.method} ${request.path} uses {{${name}}}, which no earlier request captured`);
      return captured[name]!;
    });
  const deep = (value: unknown): unknown =>
    typeof value === "string"
      ? fill(value)
      : Array.isArray(value)
        ? value.map(deep)
        : value && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)]))
          : value;
  return {
    ...request,
    path: fill(request.path),
    ...(request.query ? { query: Object.fromEntries(Object.entries(request.query).map(([k, v]) => [k, fill(v)])) } : {}),
    ...(request.body === undefined ? {} : { body: deep(request.body) }),
  };
}

function valueAt(body: unknown, path: string, what: string): string {
  let value: unknown = body;
  for (const key of path.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  if (typeof value !== "string" && typeof value !== "number") throw new Error(`${what} answered no string or number at "${path}" to capture`);
  return String(value);
}

/** The key of the item a create writes, or how to read it from the create's response when the server makes the id. */
export type CreatedKey = Record<string, unknown> | ((response: unknown) => Record<string, unknown>);

/**
 * The load test's requests. Setup requests may `capture` values, as the walkthrough does; the creates and reads use
 * them as `{{name}}` (an id the server made for a setup item, say).
 */
export interface LoadMix {
  /** Sent once before the load, in order, so that `reads` find something. */
  setup: readonly SampleRequest[];
  /**
   * The n-th create of the load, and the key of the item it writes: checked afterwards to be stored when acknowledged
   * (and, where the key is known before the response, not stored when not).
   */
  create(n: number): { request: SampleRequest; key: CreatedKey };
  /** Reads and list queries that succeed after `setup`. The first is a single-item read: the benchmark's first request after a cold start. */
  reads: readonly SampleRequest[];
}

type Sections = Record<string, z.ZodMiniType>;
export type SeedRecords<S extends Sections> = { [K in keyof S]: z.output<S[K]>[] };

export interface SeedDefinition<S extends Sections = Sections> {
  /** The example file that the seed import reads by default. */
  file: string;
  /** Section name -> schema of one record in it. */
  sections: S;
  /**
   * Problems that span records, such as a reference to a record the file
   * does not hold, as "section[index].field: message". Records that failed
   * their schema are undefined here, at their index.
   */
  references?(seed: { [K in keyof S]: (z.output<S[K]> | undefined)[] }): string[];
  /** The whole items to put. The same seed gives the same items, so a re-run writes them again unchanged. */
  items(seed: SeedRecords<S>, table: { documentClient: DynamoDBDocumentClient; tableName: string }): Record<string, unknown>[];
}

export interface AppContract {
  /** What the handler serves. */
  api: ApiDefinition;
  /**
   * The API's name and version in its OpenAPI document: bump the version with a change that breaks a
   * consumer. Absent: "API", 0.1.0.
   */
  info?: { title: string; version: string; description?: string };
  /** The identities the sample requests are sent as, by name. */
  callers: Readonly<Record<string, CallerClaims>>;
  /** Every route at least once, in an order that works on an empty table: the end-to-end walkthrough and the permission test. */
  walkthrough: readonly SampleRequest[];
  load: LoadMix;
  seed: SeedDefinition;
}

/** The claims `request` is sent with: its caller's, or the contract's first caller's. */
export function callerClaims(contract: Pick<AppContract, "callers">, request: Pick<SampleRequest, "as">): CallerClaims {
  const name = request.as ?? Object.keys(contract.callers)[0];
  const claims = name === undefined ? undefined : contract.callers[name];
  if (!claims) throw new Error(`the app contract has no caller named "${String(name)}"`);
  return claims;
}

/** A seed definition typed from its schemas, stored as the untyped shape the importer reads. */
export const defineSeed = <S extends Sections>(seed: SeedDefinition<S>): SeedDefinition => seed as unknown as SeedDefinition;
