import fc from "fast-check";
import { contract } from "../../src/app/contract";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, tableSnapshot, uniqueTableName, type CallerClaims } from "@dynamodb-starter/kit/testing";
import { api } from "./handlerClient";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("access");
process.env.TABLE_NAME = tableName;
const { ada, grace, ops } = contract.callers as Record<"ada" | "grace" | "ops", CallerClaims>;
const noEmail = { sub: "robot" };
/** Another account whose token carries ada's address: typed in by hand (unverified), or verified by a careless provider. */
const mallory = { sub: "user-mallory", email: "ada@example.com", emailVerified: false };
const malloryVerified = { ...mallory, emailVerified: true };

const snapshot = () => tableSnapshot(documentClient, tableName);

/**
 * A call that must be refused with `status` (403 unless told), and change nothing in the table. A refused write may
 * still be sent: the rule is its own condition, checked by DynamoDB in the same request, so no check-then-write race.
 */
async function refused(method: string, path: string, call: Parameters<typeof api>[2], status = 403) {
  const before = await snapshot();
  const reply = await api(method, path, call);
  expect({ method, path, reply: reply.status, code: reply.body?.error?.code }).toEqual({
    method,
    path,
    reply: status,
    code: status === 403 ? "forbidden" : "not_found",
  });
  expect(await snapshot()).toEqual(before);
}

beforeAll(async () => {
  await ensureTable({ client, tableName });
  expect((await api("POST", "/users", { as: ada, body: { email: "ada@example.com", name: "Ada" } })).status).toBe(201);
  expect((await api("POST", "/users", { as: grace, body: { email: "Grace@Example.com", name: "Grace" } })).status).toBe(201);
  expect((await api("POST", "/companies", { as: ada, body: { name: "Acme" } })).status).toBe(201);
});
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("who may touch what (the example's rules)", () => {
  it("lets a user read and change only their own profile, companies and events; an admin anything", async () => {
    expect((await api("GET", "/users/ada@example.com", { as: ada })).status).toBe(200);
    expect((await api("GET", "/users/grace@example.com", { as: { ...grace, email: "GRACE@example.com" } })).status).toBe(200); // one user, any case
    await refused("GET", "/users/ada@example.com", { as: grace });
    await refused("PATCH", "/users/ada@example.com", { as: grace, body: { name: "Mallory" } });
    await refused("DELETE", "/users/ada@example.com", { as: grace });
    await refused("POST", "/users/ada@example.com/events", { as: grace, body: { type: "login" } });
    await refused("GET", "/users/ada@example.com/events", { as: grace });
    await refused("GET", "/users/ada@example.com/companies", { as: noEmail });
    await refused("POST", "/users", { as: grace, body: { email: "mallory@example.com", name: "Mallory" } });
    expect((await api("GET", "/users/ada@example.com", { as: ops })).status).toBe(200);
  });

  it("never takes a token's email for its owner: another account naming ada's address, verified or not, touches nothing of hers", async () => {
    for (const impostor of [mallory, malloryVerified]) {
      await refused("GET", "/users/ada@example.com", { as: impostor });
      await refused("PATCH", "/users/ada@example.com", { as: impostor, body: { name: "Mallory" } });
      await refused("DELETE", "/users/ada@example.com", { as: impostor });
      await refused("POST", "/users/ada@example.com/events", { as: impostor, body: { type: "login" } });
      await refused("GET", "/users/ada@example.com/events", { as: impostor });
      await refused("GET", "/users/ada@example.com/companies", { as: impostor });
      await refused("POST", "/companies", { as: impostor, body: { name: "Evil Corp" } });
      await refused("GET", "/companies/Acme/members", { as: impostor });
      await refused("PUT", "/companies/Acme/members/grace@example.com", { as: impostor, body: { role: "owner" } });
    }
    // Nor may it make the profile first: a profile is made at the caller's own verified address only.
    await refused("POST", "/users", { as: mallory, body: { email: "ada@example.com", name: "Not Ada" } });
    expect((await api("GET", "/users/ada@example.com", { as: ada })).body.name).toBe("Ada");
  });

  it("gives a profile an admin made (it records no subject) to the caller whose provider verified its address, and no one else", async () => {
    expect((await api("POST", "/users", { as: ops, body: { email: "dora@example.com", name: "Dora" } })).status).toBe(201);
    const dora = { sub: "user-dora", email: "dora@example.com", emailVerified: true };
    expect((await api("GET", "/users/dora@example.com", { as: dora })).status).toBe(200);
    expect((await api("PATCH", "/users/dora@example.com", { as: dora, body: { name: "Dora E." } })).status).toBe(200);
    await refused("GET", "/users/dora@example.com", { as: { ...dora, emailVerified: false } });
    await refused("PATCH", "/users/dora@example.com", { as: { ...dora, sub: "someone", emailVerified: false }, body: { name: "X" } });
  });

  it("answers a missing profile 404 to its own address and to an admin, 403 to anyone else: no one learns which addresses exist", async () => {
    await refused("GET", "/users/nobody@example.com", { as: grace });
    await refused("GET", "/users/nobody@example.com/events", { as: grace });
    await refused("GET", "/users/nobody@example.com", { as: { sub: "user-nobody", email: "nobody@example.com", emailVerified: true } }, 404);
    await refused("GET", "/users/nobody@example.com", { as: ops }, 404);
  });

  it("shows a company's members to its members and admins only", async () => {
    await refused("GET", "/companies/Acme/members", { as: grace });
    await refused("GET", "/companies/Acme/members", { as: noEmail });
    expect((await api("GET", "/companies/Acme/members", { as: ops })).status).toBe(200);
    const members = await api("GET", "/companies/Acme/members", { as: ada });
    expect(members.body.items).toEqual([expect.objectContaining({ email: "ada@example.com", role: "owner" })]);
    expect((await api("PUT", "/companies/Acme/members/grace@example.com", { as: ada, body: { role: "member" } })).status).toBe(201);
    expect((await api("GET", "/companies/Acme/members", { as: grace })).status).toBe(200);
  });

  it("lets owners give any role, admins of the company members only, members nothing", async () => {
    for (const email of ["carol@example.com", "dave@example.com", "erin@example.com"]) {
      expect((await api("POST", "/users", { as: ops, body: { email, name: email } })).status).toBe(201);
    }
    expect((await api("POST", "/companies", { as: ada, body: { name: "Roles" } })).status).toBe(201);
    expect((await api("PUT", "/companies/Roles/members/carol@example.com", { as: ada, body: { role: "admin" } })).status).toBe(201);
    expect((await api("PUT", "/companies/Roles/members/grace@example.com", { as: ada, body: { role: "member" } })).status).toBe(201);
    const carol = { sub: "user-carol", email: "carol@example.com", emailVerified: true };
    // An admin of the company may not make anyone an owner or an admin (themselves included).
    await refused("PUT", "/companies/Roles/members/dave@example.com", { as: carol, body: { role: "owner" } });
    await refused("PUT", "/companies/Roles/members/dave@example.com", { as: carol, body: { role: "admin" } });
    expect((await api("PUT", "/companies/Roles/members/dave@example.com", { as: carol, body: { role: "member" } })).status).toBe(201);
    // A plain member adds no one.
    await refused("PUT", "/companies/Roles/members/erin@example.com", { as: grace, body: { role: "member" } });
    expect((await api("PUT", "/companies/Roles/members/erin@example.com", { as: ada, body: { role: "owner" } })).status).toBe(201);
    await refused("POST", "/companies", { as: noEmail, body: { name: "Robots" } });
  });

  it("refuses a company for a caller who has no user yet, and creates none", async () => {
    const before = await snapshot();
    const reply = await api("POST", "/companies", { as: { sub: "new", email: "new@example.com", emailVerified: true }, body: { name: "Newco" } });
    expect(reply).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await snapshot()).toEqual(before);
  });

  it("lets a caller touch ada's items exactly when it is ada's subject or an admin, whatever else its token says (property)", async () => {
    const token = fc.record({
      sub: fc.constantFrom("user-ada", "user-grace", "user-mallory", "ada@example.com"),
      email: fc.option(fc.constantFrom("ada@example.com", "ADA@example.com", "grace@example.com", "ada@example.org"), { nil: undefined }),
      emailVerified: fc.option(fc.boolean(), { nil: undefined }),
      scopes: fc.subarray(["admin", "read", "administrator"]),
    });
    const requests = [
      ["GET", "/users/ada@example.com", undefined],
      ["PATCH", "/users/ada@example.com", { name: "Changed" }],
      ["POST", "/users/ada@example.com/events", { type: "probe" }],
      ["GET", "/users/ada@example.com/events", undefined],
      ["GET", "/users/ada@example.com/companies", undefined],
    ] as const;
    await fc.assert(
      fc.asyncProperty(token, fc.constantFrom(...requests), async (claims, [method, path, body]) => {
        const allowed = claims.sub === "user-ada" || claims.scopes.includes("admin");
        if (!allowed) return refused(method, path, { as: claims, ...(body ? { body } : {}) });
        expect([200, 201]).toContain((await api(method, path, { as: claims, ...(body ? { body } : {}) })).status);
      }),
      { numRuns: 40 },
    );
  });
});
