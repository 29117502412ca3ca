/**
 * The API's contract as OpenAPI 3.1, generated from the route table the handler serves and the edge is built from:
 * each declared route's parameters, body and responses (their zod/mini schemas as JSON Schema), the error statuses
 * every route has and the error body, the JWT bearer scheme with each route's scopes, and the public routes marked.
 * Built at build or test time, never at run time: nothing of it is in a handler's bundle.
 */
import { STATUS_CODES } from "node:http";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import * as z from "zod/mini";
import { HEALTH_ROUTE, type ApiDefinition } from "../http/apiHandler";
import { isDeclared, type LazySchema, type RouteDeclaration } from "../http/route";
import type { Routes } from "../http/router";

type Json = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** The error body every error status answers with (the handler's `failure`). */
const ERROR_BODY = {
  type: "object",
  required: ["error"],
  additionalProperties: false,
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      additionalProperties: false,
      properties: {
        code: { type: "string", description: "stable, machine-readable: invalid_request, not_found, not_ready..." },
        message: { type: "string", description: "for a person: what was wrong and how to fix it" },
        details: { description: "for invalid_request, every problem: [{ path, message }]" },
        requestId: { type: "string", description: "500 only: the id the service logged the failure under" },
      },
    },
  },
};

/** The route the kit adds, as declared: public, and what it answers. */
const HEALTH: Omit<RouteDeclaration, "handle"> = {
  public: true,
  summary: "The service is up and its table has passed the check of connect()",
  responses: { 200: z.strictObject({ status: z.literal("ok") }) },
};

/** The statuses the kit answers on every route: refused input, the router's misses, throttling, not ready. */
function kitErrors(d: Omit<RouteDeclaration, "handle">): number[] {
  return [400, ...(d.public ? [] : [401, 403]), 404, 405, ...(d.body ? [413, 415] : []), 429, 503];
}

const jsonSchema = (schema: z.ZodMiniType, io: "input" | "output"): Json => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
};

const operationId = (method: string, path: string) =>
  method.toLowerCase() +
  path
    .split("/")
    .filter(Boolean)
    .map((part) => part.replace(/[{}]/g, ""))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).replace(/[^\w]+(\w)/g, (_, c: string) => c.toUpperCase()))
    .join("");

function operation(routeKey: string, d: Omit<RouteDeclaration, "handle">): Json {
  const [method, path] = routeKey.split(" ") as [string, string];
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const query = d.query ? jsonSchema(d.query, "input") : undefined;
  const queryProperties = (query?.properties ?? {}) as Record<string, Json>;
  const required = new Set((query?.required ?? []) as string[]);
  const parameters = [
    ...pathParams.map((name) => ({ name, in: "path", required: true, schema: d.params?.[name] ? jsonSchema(d.params[name], "input") : { type: "string" } })),
    ...Object.entries(queryProperties).map(([name, schema]) => ({ name, in: "query", required: required.has(name), schema })),
  ];
  const errors = [...new Set([...kitErrors(d), ...(d.errors ?? [])])].sort((a, b) => a - b);
  const responses: Json = {};
  for (const [status, schema] of Object.entries(d.responses)) {
    responses[status] = {
      description: STATUS_CODES[Number(status)] ?? status,
      ...(schema ? { content: { "application/json": { schema: jsonSchema(schema as z.ZodMiniType, "output") } } } : {}),
    };
  }
  for (const status of errors) responses[status] = { $ref: `#/components/responses/Error${status}` };
  return {
    operationId: operationId(method, path),
    summary: d.summary ?? routeKey,
    ...(parameters.length ? { parameters } : {}),
    ...(d.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(d.body, "input") } } } } : {}),
    responses,
    security: d.public ? [] : [{ jwt: [...(d.scopes ?? [])] }],
    ...(d.public ? { "x-public": true } : {}),
  };
}

/** Routes that declare no contract (a plain handler): the generator names them, since it cannot describe them. */
export function undeclaredRoutes(routes: Routes): string[] {
  return Object.entries(routes)
    .filter(([, r]) => !isDeclared(r))
    .map(([key]) => key);
}

type Declared = Omit<RouteDeclaration, "handle">;

/** A declaration with its lazy response schemas loaded. */
async function loaded(d: Declared): Promise<Declared> {
  const entries = await Promise.all(
    Object.entries(d.responses).map(async ([status, schema]) => [status, schema && "load" in schema ? await (schema as LazySchema).load() : schema] as const),
  );
  return { ...d, responses: Object.fromEntries(entries) };
}

export async function openApiDocument(api: Pick<ApiDefinition, "routes">, info: OpenApiInfo): Promise<Json> {
  const undeclared = undeclaredRoutes(api.routes);
  if (undeclared.length > 0) {
    throw new Error(
      `these routes declare no responses, so the spec cannot describe them: ${undeclared.join(", ")}. Declare each with route() (@dynamodb-starter/kit/runtime).`,
    );
  }
  const routes: [string, Omit<RouteDeclaration, "handle">][] = [
    ...(HEALTH_ROUTE in api.routes ? [] : [[HEALTH_ROUTE, HEALTH] as [string, Omit<RouteDeclaration, "handle">]]),
    ...(await Promise.all(
      Object.entries(api.routes).map(async ([key, r]) => [key, await loaded((r as unknown as { declared: Declared }).declared)] as [string, Declared]),
    )),
  ];
  const paths: Record<string, Json> = {};
  const statuses = new Set<number>();
  for (const [routeKey, d] of routes.sort(([a], [b]) => a.split(" ")[1]!.localeCompare(b.split(" ")[1]!))) {
    const [method, path] = routeKey.split(" ") as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = operation(routeKey, d);
    for (const status of [...kitErrors(d), ...(d.errors ?? [])]) statuses.add(status);
  }
  const responses = Object.fromEntries(
    [...statuses]
      .sort((a, b) => a - b)
      .map((status) => [
        `Error${status}`,
        { description: STATUS_CODES[status] ?? String(status), content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      ]),
  );
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    paths,
    components: {
      schemas: { Error: ERROR_BODY },
      responses,
      securitySchemes: {
        jwt: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A JWT from the deployment's issuer; its sub is the caller" },
      },
    },
  };
}

/** A response the spec does not allow: an undeclared status, or a body that does not match its schema. */
export interface ContractProblem {
  operation: string;
  status: number;
  problem: string;
}

/**
 * Checks responses against a spec (the generated document, or the committed openapi.json): the status must be one the
 * operation declares, and the JSON body must match that status's schema. For contract tests: every reply of the
 * walkthrough and the hardening tests goes through it.
 */
export function contractChecker(spec: Json): (routeKey: string, status: number, body: unknown) => ContractProblem | undefined {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema({ ...(spec as { components?: Json }).components, $id: "spec" } as Json, "spec");
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const paths = spec.paths as Record<string, Record<string, { responses: Record<string, Json> }>>;
  const components = (spec.components ?? {}) as { responses?: Record<string, Json> };
  return (routeKey, status, body) => {
    const [method, path] = routeKey.split(" ") as [string, string];
    const op = paths[path]?.[method.toLowerCase()];
    if (!op) return { operation: routeKey, status, problem: "the spec has no such operation" };
    let response = op.responses[String(status)];
    if (!response) return { operation: routeKey, status, problem: `status ${status} is not declared (declared: ${Object.keys(op.responses).join(", ")})` };
    if (typeof response.$ref === "string") response = components.responses?.[response.$ref.split("/").pop()!] ?? {};
    const schema = (response.content as Record<string, { schema: Json }> | undefined)?.["application/json"]?.schema;
    if (!schema) return body === undefined || body === "" ? undefined : { operation: routeKey, status, problem: "a body where the spec declares none" };
    const key = `${routeKey} ${status}`;
    let validate = compiled.get(key);
    if (!validate) {
      const resolved = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"spec#/')) as Json;
      validate = ajv.compile(resolved);
      compiled.set(key, validate);
    }
    if (validate(body)) return undefined;
    const problem = (validate.errors ?? [])
      .map((e) => `body${e.instancePath} ${e.message ?? "is invalid"}${"additionalProperty" in e.params ? `: "${String(e.params.additionalProperty)}"` : ""}`)
      .join("; ");
    return { operation: routeKey, status, problem };
  };
}

/** The spec's operation ("GET /items/{id}") a request goes to: its path matched against the templates, literal segments first. */
export function operationOf(spec: Json, method: string, rawPath: string): string | undefined {
  const paths = spec.paths as Record<string, Record<string, unknown>>;
  const segments = rawPath.split("?")[0]!.split("/");
  const literal = (path: string) => path.split("/").filter((t) => !t.startsWith("{")).length;
  const [best] = Object.keys(paths)
    .filter((path) => {
      const template = path.split("/");
      return template.length === segments.length && template.every((t, i) => t.startsWith("{") || t === segments[i]) && paths[path]![method.toLowerCase()];
    })
    .sort((a, b) => literal(b) - literal(a));
  return best && `${method.toUpperCase()} ${best}`;
}
