/**
 * Example app: rewrite this file for your own domain; the tools that read it stay as they are.
 *
 * What the kept tools need to know about this app: the seed import reads
 * `seed`, the load test and benchmark `load`, the end-to-end and permission
 * tests `walkthrough`. Scripts and tests read only this, never the routes or
 * keys themselves.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { PutItemCommand } from "dynamodb-toolbox/entity/actions/put";
import * as z from "zod/mini";
import { defineSeed, type AppContract } from "@dynamodb-starter/kit/contract";
import { api } from "./";
import { createModel, keys } from "./model";
import * as schemas from "./schemas";

const seed = defineSeed({
  file: join(__dirname, "seed.json"),
  sections: {
    users: schemas.createUser,
    companies: schemas.createCompany,
    memberships: z.strictObject({ company: schemas.companyName, email: schemas.email, role: schemas.role }),
    events: z.strictObject({ email: schemas.email, type: schemas.eventType, at: schemas.isoTime, data: schemas.eventData }),
  },

  references({ users, companies, memberships, events }) {
    const problems: string[] = [];
    const userEmails = new Set(users.map((u) => u?.email));
    const companyNames = new Set(companies.map((c) => c?.name));
    memberships.forEach((m, i) => {
      if (m && !userEmails.has(m.email)) problems.push(`memberships[${i}].email: user "${m.email}" is not in this file's users`);
      if (m && !companyNames.has(m.company)) problems.push(`memberships[${i}].company: company "${m.company}" is not in this file's companies`);
    });
    events.forEach((e, i) => {
      if (e && !userEmails.has(e.email)) problems.push(`events[${i}].email: user "${e.email}" is not in this file's users`);
    });
    return problems;
  },

  items({ users, companies, memberships, events }, table) {
    const { User, Company, Membership, Event } = createModel(table);
    const item = (params: { Item?: Record<string, unknown> }) => params.Item!;
    return [
      ...users.map((u) => item(User.build(PutItemCommand).item(u).params())),
      ...companies.map((c) => item(Company.build(PutItemCommand).item(c).params())),
      ...memberships.map((m) =>
        item(
          Membership.build(PutItemCommand)
            .item({ ...m, joinedAt: "2026-01-01T00:00:00.000Z" })
            .params(),
        ),
      ),
      ...events.map((e) => {
        // Derived from the content, so a re-run writes the same event instead of a second one.
        const id = createHash("sha256")
          .update(JSON.stringify([e.email, e.at, e.type, e.data ?? null]))
          .digest("hex")
          .slice(0, 32);
        return item(
          Event.build(PutItemCommand)
            .item({ email: e.email, at: e.at, type: e.type, id, ...(e.data ? { dataJson: JSON.stringify(e.data) } : {}) })
            .params(),
        );
      }),
    ];
  },
});

const ada = "/users/ada@example.com";

export const contract: AppContract = {
  api,
  info: { title: "Users and companies (example)", version: "0.1.0" },
  seed,

  // Two users, an operator with the admin scope, and someone who typed ada's address into their own profile (the
  // provider never verified it), as an identity provider would issue their tokens.
  callers: {
    ada: { sub: "user-ada", email: "ada@example.com", emailVerified: true },
    grace: { sub: "user-grace", email: "grace@example.com", emailVerified: true },
    ops: { sub: "ops", scopes: ["admin"] },
    mallory: { sub: "user-mallory", email: "ada@example.com", emailVerified: false },
  },

  walkthrough: [
    { as: "ada", method: "POST", path: "/users", body: { email: "ada@example.com", name: "Ada" }, status: 201 },
    { as: "ada", method: "POST", path: "/users", body: { email: "ada@example.com", name: "Again" }, status: 409 },
    { as: "ada", method: "POST", path: "/users", body: { email: "grace@example.com", name: "Not Ada's" }, status: 403 },
    { as: "grace", method: "POST", path: "/users", body: { email: "grace@example.com", name: "Grace" }, status: 201 },
    { as: "ada", method: "GET", path: ada, status: 200 },
    { as: "grace", method: "GET", path: ada, status: 403 },
    { as: "mallory", method: "GET", path: ada, status: 403 }, // an email claim is not an identity
    { as: "ada", method: "PATCH", path: ada, body: { name: "Ada L." }, status: 200 },
    { as: "ada", method: "POST", path: "/companies", body: { name: "Acme" }, status: 201 },
    { as: "grace", method: "GET", path: "/companies/Acme", status: 200 },
    { as: "grace", method: "PUT", path: "/companies/Acme/members/grace@example.com", body: { role: "member" }, status: 403 },
    { as: "grace", method: "GET", path: "/companies/Acme/members", status: 403 }, // not a member yet
    { as: "ada", method: "PUT", path: "/companies/Acme/members/grace@example.com", body: { role: "member" }, status: 201 },
    { as: "grace", method: "GET", path: "/companies/Acme/members", status: 200 },
    // A second page, with the cursor the first one answered.
    { as: "grace", method: "GET", path: "/companies/Acme/members", query: { limit: "1" }, status: 200, capture: { members: "cursor" } },
    { as: "grace", method: "GET", path: "/companies/Acme/members", query: { limit: "1", cursor: "{{members}}" }, status: 200 },
    { as: "ada", method: "GET", path: `${ada}/companies`, status: 200 },
    { as: "ada", method: "POST", path: `${ada}/events`, body: { type: "login" }, status: 201 },
    { as: "ada", method: "GET", path: `${ada}/events`, query: { order: "asc" }, status: 200 },
    { as: "ops", method: "DELETE", path: ada, status: 204 },
    { as: "ada", method: "GET", path: ada, status: 404 },
  ],

  // The load runs as the operator: its creates are of many users.
  load: {
    setup: [
      { as: "ops", method: "POST", path: "/companies", body: { name: "Load" }, status: 201 },
      { as: "ops", method: "POST", path: "/users", body: { email: "reader@example.com", name: "Reader" }, status: 201 },
      { as: "ops", method: "PUT", path: "/companies/Load/members/reader@example.com", body: { role: "member" }, status: 201 },
    ],
    create: (n) => {
      const email = `load-${n}@example.com`;
      return { request: { as: "ops", method: "POST", path: "/users", body: { email, name: "Load" }, status: 201 }, key: keys.user(email) };
    },
    reads: [
      { as: "ops", method: "GET", path: "/users/reader@example.com", status: 200 },
      { as: "ops", method: "GET", path: "/companies/Load/members", query: { limit: "10" }, status: 200 },
    ],
  },
};
