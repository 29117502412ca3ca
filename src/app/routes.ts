/**
 * Example app: you will most likely replace these routes with your own.
 *
 * The HTTP API of the example service. Every route needs a verified caller
 * (none is public; the library adds a public GET /health). Each route
 * validates everything first, then reaches the table, where the rules of
 * access.ts decide on what the caller reads, or inside the write's own
 * condition: bad input costs no request and is a 400 even when DynamoDB is
 * down, and a refused call is a 403 that writes nothing.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type * as z from "zod/mini";
import { forbidden, json, jsonBody, parse, type Connection, type RouteRequest, type Routes } from "@dynamodb-starter/kit/runtime";
import { actingUser, selfOf } from "./access";
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
  // A user makes their own profile, at the address their identity provider verified; an admin, anyone's.
  "POST /users": async ({ event, caller, db }) => {
    const input = parse(schemas.createUser, jsonBody(event), "user");
    const self = selfOf(caller);
    if (self && self.email !== input.email) throw forbidden("you create your own profile, at the email address your identity provider verified");
    return json(201, await (await service(db)).createUser(input, self));
  },
  // Reads start alongside a cold start's table check (read()); writes wait for it (db()). Whose a user's items
  // are is the service's check, on the profile it reads or inside the write's condition.
  "GET /users/{email}": async ({ params, caller, read }) => {
    const id = email(params);
    return json(200, await read((c) => serviceOf(c).getUser(id, selfOf(caller))));
  },
  "PATCH /users/{email}": async ({ event, params, caller, db }) => {
    const id = email(params);
    const patch = parse(schemas.updateUser, jsonBody(event), "user update");
    return json(200, await (await service(db)).updateUser(id, patch, selfOf(caller)));
  },
  "DELETE /users/{email}": async ({ params, caller, db }) => {
    const id = email(params);
    await (await service(db)).deleteUser(id, selfOf(caller));
    return { statusCode: 204 };
  },
  "GET /users/{email}/companies": async ({ event, params, caller, read }) => {
    const id = email(params);
    const page = query(schemas.listQuery, event);
    return json(200, await read((c) => serviceOf(c).listUserCompanies(id, page, selfOf(caller))));
  },
  "POST /users/{email}/events": async ({ event, params, caller, db }) => {
    const id = email(params);
    const input = parse(schemas.appendEvent, jsonBody(event), "event");
    return json(201, await (await service(db)).appendEvent(id, input, selfOf(caller)));
  },
  "GET /users/{email}/events": async ({ event, params, caller, read }) => {
    const id = email(params);
    const range = query(schemas.eventsQuery, event);
    return json(200, await read((c) => serviceOf(c).listEvents(id, range, selfOf(caller))));
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
  // Its members (and admins) only: a member list is a list of email addresses.
  "GET /companies/{name}/members": async ({ event, params, caller, read }) => {
    const name = company(params);
    const page = query(schemas.listQuery, event);
    const viewer = actingUser(caller);
    return json(200, await read((c) => serviceOf(c).listMembers(name, page, viewer)));
  },
  "PUT /companies/{name}/members/{email}": async ({ event, params, caller, db }) => {
    const name = company(params);
    const id = email(params);
    const { role } = parse(schemas.addMembership, jsonBody(event), "membership");
    return json(201, await (await service(db)).addMembership(name, id, role, actingUser(caller)));
  },
};
