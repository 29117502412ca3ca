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
import { forbidden, lazySchema, route, type Connection, type RouteRequest, type Routes } from "@dynamodb-starter/kit/runtime";
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

// Each route declares its input and what it answers (schemas.ts): the kit checks the input before the handler runs,
// the type checker holds the handler to its responses, and openapi.json (make openapi) is generated from them.
/** A response schema of responses.ts, which only the spec's generator loads: off the handler's cold start. */
const answer = <K extends keyof typeof import("./responses")>(key: K) => lazySchema(() => import("./responses"), key);
const email = { email: schemas.email };
const company = { name: schemas.companyName };
/** The statuses a user's routes answer beyond the kit's own: not theirs, no such user, changed meanwhile. */
const USER_ERRORS = [403, 404, 409];

export const routes: Routes = {
  // A user makes their own profile, at the address their identity provider verified; an admin, anyone's.
  "POST /users": route({
    summary: "Creates a user's profile (your own, at your verified email; an admin, anyone's)",
    body: schemas.createUser,
    responses: { 201: answer("user") },
    errors: [403, 409],
    handle: async ({ body, caller, db }) => {
      const self = selfOf(caller);
      if (self && self.email !== body.email) throw forbidden("you create your own profile, at the email address your identity provider verified");
      return { status: 201, body: await (await service(db)).createUser(body, self) };
    },
  }),
  // Reads start alongside a cold start's table check (read()); writes wait for it (db()). Whose a user's items
  // are is the service's check, on the profile it reads or inside the write's condition.
  "GET /users/{email}": route({
    summary: "A user's profile",
    params: email,
    responses: { 200: answer("user") },
    errors: USER_ERRORS,
    handle: async ({ params, caller, read }) => ({ status: 200, body: await read((c) => serviceOf(c).getUser(params.email, selfOf(caller))) }),
  }),
  "PATCH /users/{email}": route({
    summary: "Renames a user",
    params: email,
    body: schemas.updateUser,
    responses: { 200: answer("user") },
    errors: USER_ERRORS,
    handle: async ({ params, body, caller, db }) => ({ status: 200, body: await (await service(db)).updateUser(params.email, body, selfOf(caller)) }),
  }),
  "DELETE /users/{email}": route({
    summary: "Deletes a user, their memberships and events",
    params: email,
    responses: { 204: null },
    errors: USER_ERRORS,
    handle: async ({ params, caller, db }) => {
      await (await service(db)).deleteUser(params.email, selfOf(caller));
      return { status: 204 };
    },
  }),
  "GET /users/{email}/companies": route({
    summary: "The companies a user belongs to, a page at a time",
    params: email,
    query: schemas.listQuery,
    responses: { 200: answer("userCompanies") },
    errors: USER_ERRORS,
    handle: async ({ params, query, caller, read }) => ({
      status: 200,
      body: await read((c) => serviceOf(c).listUserCompanies(params.email, query, selfOf(caller))),
    }),
  }),
  "POST /users/{email}/events": route({
    summary: "Appends an event to a user's history",
    params: email,
    body: schemas.appendEvent,
    responses: { 201: answer("event") },
    errors: USER_ERRORS,
    handle: async ({ params, body, caller, db }) => ({ status: 201, body: await (await service(db)).appendEvent(params.email, body, selfOf(caller)) }),
  }),
  "GET /users/{email}/events": route({
    summary: "A user's events in a time range, a page at a time",
    params: email,
    query: schemas.eventsQuery,
    responses: { 200: answer("events") },
    errors: USER_ERRORS,
    handle: async ({ params, query, caller, read }) => ({ status: 200, body: await read((c) => serviceOf(c).listEvents(params.email, query, selfOf(caller))) }),
  }),

  // The caller becomes the company's owner (an admin creates it without one).
  "POST /companies": route({
    summary: "Creates a company, owned by the caller",
    body: schemas.createCompany,
    responses: { 201: answer("company") },
    errors: [403, 409],
    handle: async ({ body, caller, db }) => ({ status: 201, body: await (await service(db)).createCompany(body, actingUser(caller)) }),
  }),
  "GET /companies/{name}": route({
    summary: "A company and its member count",
    params: company,
    responses: { 200: answer("companyWithCount") },
    errors: [404],
    handle: async ({ params, read }) => ({ status: 200, body: await read((c) => serviceOf(c).getCompany(params.name)) }),
  }),
  // Its members (and admins) only: a member list is a list of email addresses.
  "GET /companies/{name}/members": route({
    summary: "A company's members, a page at a time (its members and admins only)",
    params: company,
    query: schemas.listQuery,
    responses: { 200: answer("members") },
    errors: [403, 404],
    handle: async ({ params, query, caller, read }) => {
      const viewer = actingUser(caller);
      return { status: 200, body: await read((c) => serviceOf(c).listMembers(params.name, query, viewer)) };
    },
  }),
  "PUT /companies/{name}/members/{email}": route({
    summary: "Adds a member with a role (owners grant any role, admins member only)",
    params: { ...company, ...email },
    body: schemas.addMembership,
    responses: { 201: answer("membership") },
    errors: [403, 404, 409],
    handle: async ({ params, body, caller, db }) => ({
      status: 201,
      body: await (await service(db)).addMembership(params.name, params.email, body.role, actingUser(caller)),
    }),
  }),
};
