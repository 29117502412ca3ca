/**
 * The HTTP API's Lambda entry point (API Gateway v2, payload format 2.0).
 * Thin by design: route, validate, call the service, respond. Every error is
 * JSON { error: { code, message, details? } }; unexpected ones are logged
 * with the request id and answered 500 without internals.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { connect } from "../db/connect";
import { toHttpError } from "../http/errors";
import { jsonBody, parse } from "../http/request";
import { createRouter, type Result } from "../http/router";
import { SETTINGS_KEY } from "../migrations/0001-app-settings";
import * as schemas from "../model/schemas";
import { createService, type Service } from "../model/service";

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): Result => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

// One service per connection, that is per cold start.
let cached: { tableName: string; service: Service; health: () => Promise<Result> } | undefined;
async function app() {
  const { documentClient, tableName } = await connect();
  if (cached?.tableName !== tableName) {
    const health = async () => {
      const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: SETTINGS_KEY }));
      return json(200, { status: "ok", table: tableName, settings: Item ? { maxPageSize: Item.maxPageSize } : null });
    };
    cached = { tableName, service: createService({ documentClient, tableName }), health };
  }
  return cached;
}

type Params = Record<string, string>;
const email = (params: Params) => parse<string>(schemas.email, params.email, "email in the path");
const company = (params: Params) => parse<string>(schemas.companyName, params.name, "company name in the path");
const query = <T>(schema: Parameters<typeof parse>[0], event: APIGatewayProxyEventV2) => parse<T>(schema, event.queryStringParameters ?? {}, "query parameters");
const service = async () => (await app()).service;

// Each route validates everything first, then reaches the table: bad input costs no request and is a 400 even when DynamoDB is down.
const route = createRouter({
  "GET /health": async () => (await app()).health(),

  "POST /users": async ({ event }) => {
    const input = parse<{ email: string; name: string }>(schemas.createUser, jsonBody(event), "user");
    return json(201, await (await service()).createUser(input));
  },
  "GET /users/{email}": async ({ params }) => {
    const id = email(params);
    return json(200, await (await service()).getUser(id));
  },
  "PATCH /users/{email}": async ({ event, params }) => {
    const id = email(params);
    const patch = parse<{ name: string }>(schemas.updateUser, jsonBody(event), "user update");
    return json(200, await (await service()).updateUser(id, patch));
  },
  "DELETE /users/{email}": async ({ params }) => {
    const id = email(params);
    await (await service()).deleteUser(id);
    return { statusCode: 204 };
  },
  "GET /users/{email}/companies": async ({ event, params }) => {
    const id = email(params);
    const page = query<{ limit: number; cursor?: string }>(schemas.listQuery, event);
    return json(200, await (await service()).listUserCompanies(id, page));
  },
  "POST /users/{email}/events": async ({ event, params }) => {
    const id = email(params);
    const input = parse<{ type: string; at?: string; data?: Record<string, unknown> }>(schemas.appendEvent, jsonBody(event), "event");
    return json(201, await (await service()).appendEvent(id, input));
  },
  "GET /users/{email}/events": async ({ event, params }) => {
    const id = email(params);
    const range = query<{ limit: number; cursor?: string; from?: string; to?: string; order: "asc" | "desc" }>(schemas.eventsQuery, event);
    return json(200, await (await service()).listEvents(id, range));
  },

  "POST /companies": async ({ event }) => {
    const input = parse<{ name: string; description?: string }>(schemas.createCompany, jsonBody(event), "company");
    return json(201, await (await service()).createCompany(input));
  },
  "GET /companies/{name}": async ({ params }) => {
    const name = company(params);
    return json(200, await (await service()).getCompany(name));
  },
  "GET /companies/{name}/members": async ({ event, params }) => {
    const name = company(params);
    const page = query<{ limit: number; cursor?: string }>(schemas.listQuery, event);
    return json(200, await (await service()).listMembers(name, page));
  },
  "PUT /companies/{name}/members/{email}": async ({ event, params }) => {
    const name = company(params);
    const id = email(params);
    const { role } = parse<{ role: string }>(schemas.addMembership, jsonBody(event), "membership");
    return json(201, await (await service()).addMembership(name, id, role));
  },
});

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const requestId = event.requestContext.requestId;
  let routeName = "unmatched";
  try {
    const matched = route(event);
    routeName = matched.route;
    return await matched.handle();
  } catch (error) {
    const http = toHttpError(error);
    if (http) {
      if (http.status >= 500) console.error(JSON.stringify({ level: "warn", requestId, route: routeName, error: errorName(error) }));
      return json(http.status, { error: { code: http.code, message: http.message, ...(http.details ? { details: http.details } : {}) } }, http.headers);
    }
    // Logged with the request id for the operator; the client learns nothing about internals. Never the body.
    console.error(JSON.stringify({ level: "error", requestId, route: routeName, error: errorName(error), message: error instanceof Error ? error.message : String(error) }));
    return json(500, { error: { code: "internal", message: "internal error", requestId } });
  }
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);
