/**
 * Example app: you will most likely replace these routes with your own.
 *
 * The HTTP API of the example service. Every route needs a verified caller
 * (none is public; the library adds a public GET /health). Each route
 * validates everything first, then checks what the caller may touch
 * (access.ts), then reaches the table: bad input costs no request and is a
 * 400 even when DynamoDB is down, and a refused call is a 403 that writes
 * nothing.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type * as z from "zod/mini";
import { json, jsonBody, parse, type Connection, type RouteRequest, type Routes } from "@dynamodb-starter/kit/runtime";
import { actingUser, mustBeSelf } from "./access";
import * as schemas from "./schemas";
import { createService, type Service } from "./service";

// One service per connection, that is per cold start.
let cached: { connection: Connection; service: Service } | undefined;
function serviceOf(connection: Connection): Service {
  if (cached?.connection !== connection) cached = { connection, service: createService(connection) };
  return cached.service;
}
/** For writes: the service once the table has passed connect()'s check. */
const service = async (db: RouteRequest["db"]) => serviceOf(await db());

type Params = Record<string, string>;
const email = (params: Params) => parse(schemas.email, params.email, "email in the path");
const company = (params: Params) => parse(schemas.companyName, params.name, "company name in the path");
const query = <S extends z.ZodMiniType>(schema: S, event: APIGatewayProxyEventV2) => parse(schema, event.queryStringParameters ?? {}, "query parameters");

export const routes: Routes = {
  "POST /users": async ({ event, caller, db }) => {
    const input = parse(schemas.createUser, jsonBody(event), "user");
    mustBeSelf(caller, input.email);
    return json(201, await (await service(db)).createUser(input));
  },
  // Reads start alongside a cold start's table check (read()); writes wait for it (db()).
  "GET /users/{email}": async ({ params, caller, read }) => {
    const id = email(params);
    mustBeSelf(caller, id);
    return json(200, await read((c) => serviceOf(c).getUser(id)));
  },
  "PATCH /users/{email}": async ({ event, params, caller, db }) => {
    const id = email(params);
    const patch = parse(schemas.updateUser, jsonBody(event), "user update");
    mustBeSelf(caller, id);
    return json(200, await (await service(db)).updateUser(id, patch));
  },
  "DELETE /users/{email}": async ({ params, caller, db }) => {
    const id = email(params);
    mustBeSelf(caller, id);
    await (await service(db)).deleteUser(id);
    return { statusCode: 204 };
  },
  "GET /users/{email}/companies": async ({ event, params, caller, read }) => {
    const id = email(params);
    const page = query(schemas.listQuery, event);
    mustBeSelf(caller, id);
    return json(200, await read((c) => serviceOf(c).listUserCompanies(id, page)));
  },
  "POST /users/{email}/events": async ({ event, params, caller, db }) => {
    const id = email(params);
    const input = parse(schemas.appendEvent, jsonBody(event), "event");
    mustBeSelf(caller, id);
    return json(201, await (await service(db)).appendEvent(id, input));
  },
  "GET /users/{email}/events": async ({ event, params, caller, read }) => {
    const id = email(params);
    const range = query(schemas.eventsQuery, event);
    mustBeSelf(caller, id);
    return json(200, await read((c) => serviceOf(c).listEvents(id, range)));
  },

  // The caller becomes the company's owner (an admin creates it without one).
  "POST /companies": async ({ event, caller, db }) => {
    const input = parse(schemas.createCompany, jsonBody(event), "company");
    return json(201, await (await service(db)).createCompany(input, actingUser(caller)));
  },
  "GET /companies/{name}": async ({ params, read }) => {
    const name = company(params);
    return json(200, await read((c) => serviceOf(c).getCompany(name)));
  },
  "GET /companies/{name}/members": async ({ event, params, read }) => {
    const name = company(params);
    const page = query(schemas.listQuery, event);
    return json(200, await read((c) => serviceOf(c).listMembers(name, page)));
  },
  "PUT /companies/{name}/members/{email}": async ({ event, params, caller, db }) => {
    const name = company(params);
    const id = email(params);
    const { role } = parse(schemas.addMembership, jsonBody(event), "membership");
    return json(201, await (await service(db)).addMembership(name, id, role, actingUser(caller)));
  },
};
