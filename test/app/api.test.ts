import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { api, allPages } from "./handlerClient";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("api");
process.env.TABLE_NAME = tableName; // the handler's connect() creates nothing: the first call migrates this table

/** Everything in the table except migration bookkeeping, to prove that a refused request wrote nothing. */
async function snapshot(): Promise<unknown[]> {
  const { Items = [] } = await documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.filter((i) => i.pk !== "_migrations").sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
}

beforeAll(async () => {
  await ensureTable({ client, tableName });
  expect((await api("GET", "/health")).status).toBe(200); // cold start: applies the migrations
});
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("users", () => {
  it("creates a user (201, email normalized), refuses a duplicate with 409 without overwriting, and reads it back", async () => {
    const created = await api("POST", "/users", { body: { email: "Ada@Example.com", name: "Ada" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: "ada@example.com", name: "Ada", createdAt: expect.any(String) });

    const before = await snapshot();
    const duplicate = await api("POST", "/users", { body: { email: "ada@example.com", name: "Impostor" } });
    expect(duplicate).toMatchObject({ status: 409, body: { error: { code: "conflict", message: 'user "ada@example.com" already exists' } } });
    expect(await snapshot()).toEqual(before);

    const read = await api("GET", "/users/ada%40example.com");
    expect(read).toMatchObject({ status: 200, body: { email: "ada@example.com", name: "Ada" } });
    expect((await api("GET", "/users/nobody@example.com")).status).toBe(404);
  });

  it("updates with an update expression returning the new item, and 404s (writing nothing) for a missing user", async () => {
    await api("POST", "/users", { body: { email: "grace@example.com", name: "Grace" } });
    const updated = await api("PATCH", "/users/grace@example.com", { body: { name: "Grace Hopper" } });
    expect(updated).toMatchObject({ status: 200, body: { email: "grace@example.com", name: "Grace Hopper" } });
    expect(updated.body.updatedAt >= updated.body.createdAt).toBe(true);

    const before = await snapshot();
    const missing = await api("PATCH", "/users/ghost@example.com", { body: { name: "Ghost" } });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: "not_found", message: 'user "ghost@example.com" does not exist' } } });
    expect(await snapshot()).toEqual(before);
  });

  it("deletes a user together with its memberships and events", async () => {
    await api("POST", "/users", { body: { email: "leaving@example.com", name: "Leaving" } });
    await api("POST", "/companies", { body: { name: "Exit Corp" } });
    expect((await api("PUT", "/companies/Exit%20Corp/members/leaving@example.com", { body: { role: "member" } })).status).toBe(201);
    expect((await api("POST", "/users/leaving@example.com/events", { body: { type: "login" } })).status).toBe(201);

    expect((await api("DELETE", "/users/leaving@example.com")).status).toBe(204);
    expect((await api("GET", "/users/leaving@example.com")).status).toBe(404);
    expect((await api("GET", "/companies/Exit%20Corp/members")).body.items).toEqual([]);
    const left = (await snapshot()) as { pk: string; sk: string }[];
    expect(left.filter((i) => i.pk === "USER#leaving@example.com" || i.sk === "MEMBER#leaving@example.com")).toEqual([]);
    expect((await api("DELETE", "/users/leaving@example.com")).status).toBe(404);
  });
});

describe("companies and memberships", () => {
  beforeAll(async () => {
    await api("POST", "/companies", { body: { name: "Acme", description: "Anvils" } });
    for (const email of ["m1@example.com", "m2@example.com"]) await api("POST", "/users", { body: { email, name: email } });
  });

  it("creates (409 on duplicate) and reads companies", async () => {
    expect((await api("GET", "/companies/Acme")).body).toMatchObject({ name: "Acme", description: "Anvils" });
    expect((await api("POST", "/companies", { body: { name: "Acme" } })).status).toBe(409);
    expect((await api("GET", "/companies/Nope")).status).toBe(404);
  });

  it("adds a membership in one transaction, and refuses a missing user, a missing company or a duplicate without writing", async () => {
    const added = await api("PUT", "/companies/Acme/members/m1@example.com", { body: { role: "admin" } });
    expect(added).toMatchObject({ status: 201, body: { company: "Acme", email: "m1@example.com", role: "admin", joinedAt: expect.any(String) } });

    const before = await snapshot();
    const noUser = await api("PUT", "/companies/Acme/members/ghost@example.com", { body: { role: "member" } });
    expect(noUser).toMatchObject({ status: 404, body: { error: { message: 'user "ghost@example.com" does not exist' } } });
    const noCompany = await api("PUT", "/companies/Ghost%20Inc/members/m1@example.com", { body: { role: "member" } });
    expect(noCompany).toMatchObject({ status: 404, body: { error: { message: 'company "Ghost Inc" does not exist' } } });
    const twice = await api("PUT", "/companies/Acme/members/m1@example.com", { body: { role: "owner" } });
    expect(twice).toMatchObject({ status: 409, body: { error: { code: "conflict" } } });
    expect(await snapshot()).toEqual(before);
  });

  it("lists a company's members and a user's companies (through the byUser index)", async () => {
    await api("PUT", "/companies/Acme/members/m2@example.com", { body: { role: "member" } });
    await api("POST", "/companies", { body: { name: "Globex" } });
    await api("PUT", "/companies/Globex/members/m2@example.com", { body: { role: "owner" } });

    expect((await allPages("/companies/Acme/members")).items.map((m) => [m.email, m.role])).toEqual([
      ["m1@example.com", "admin"],
      ["m2@example.com", "member"],
    ]);
    expect((await allPages("/users/m2@example.com/companies")).items.map((c) => [c.company, c.role])).toEqual([
      ["Acme", "member"],
      ["Globex", "owner"],
    ]);
    expect((await api("GET", "/companies/Nope/members")).status).toBe(404);
    expect((await api("GET", "/users/ghost@example.com/companies")).status).toBe(404);
  });

  it("pages through more members than one page holds, each exactly once, with opaque cursors", async () => {
    await api("POST", "/companies", { body: { name: "Big" } });
    const emails = Array.from({ length: 11 }, (_, i) => `big${String(i).padStart(2, "0")}@example.com`);
    for (const email of emails) {
      await api("POST", "/users", { body: { email, name: email } });
      await api("PUT", `/companies/Big/members/${email}`, { body: { role: "member" } });
    }
    const first = await api("GET", "/companies/Big/members", { query: { limit: "4" } });
    expect(first.body.items).toHaveLength(4);
    expect(first.body.cursor).toMatch(/^[\w-]+$/);
    expect(Buffer.from(first.body.cursor, "base64url").toString("latin1")).not.toMatch(/MEMBER#|COMPANY#|"pk"/);

    const { items, pages } = await allPages("/companies/Big/members", { limit: "4" });
    expect(pages).toBe(3);
    expect(items.map((m) => m.email)).toEqual(emails);
  });

  it("refuses an altered cursor and a cursor from another list with 400", async () => {
    const { body } = await api("GET", "/companies/Big/members", { query: { limit: "2" } });
    const sealed = Buffer.from(body.cursor as string, "base64url");
    const flipped = Buffer.from(sealed);
    flipped[20] = flipped[20]! ^ 1;
    const forged = Buffer.from(JSON.stringify({ s: "members:Big", k: { pk: "USER#m1@example.com", sk: "PROFILE" } })).toString("base64url");
    for (const cursor of [flipped.toString("base64url"), sealed.subarray(0, -1).toString("base64url"), forged, "garbage", ""]) {
      expect(await api("GET", "/companies/Big/members", { query: { cursor } })).toMatchObject({ status: 400, body: { error: { code: "invalid_cursor" } } });
    }
    expect((await api("GET", "/companies/Acme/members", { query: { cursor: body.cursor } })).status).toBe(400);
  });
});

describe("Unicode and case in identifiers", () => {
  it("takes an email in any Unicode normal form as the same user (normalized to NFC, not refused)", async () => {
    // KELVIN SIGN, which NFC turns into a plain "K": refused before, the same user as "kate@" now.
    const kelvin = "\u212Aate@example.com";
    expect(await api("POST", "/users", { body: { email: kelvin, name: "Kate" } })).toMatchObject({ status: 201, body: { email: "kate@example.com" } });
    expect((await api("POST", "/users", { body: { email: "kate@example.com", name: "Again" } })).status).toBe(409);
    expect((await api("GET", `/users/${encodeURIComponent(kelvin)}`)).body).toMatchObject({ name: "Kate" });
  });

  it("keeps company names unique whatever their case or width, keeping the name as entered for display", async () => {
    expect((await api("POST", "/companies", { body: { name: "Umbrella Co" } })).status).toBe(201);
    for (const name of ["UMBRELLA CO", "umbrella co", "Ｕｍｂｒｅｌｌａ Ｃｏ"]) {
      expect({ name, status: (await api("POST", "/companies", { body: { name } })).status }).toEqual({ name, status: 409 });
    }
    expect((await api("GET", `/companies/${encodeURIComponent("ＵＭＢＲＥＬＬＡ ＣＯ")}`)).body).toMatchObject({ name: "Umbrella Co" });
    // A decomposed "é" (e + combining acute) is a letter once normalized, and the same company as the composed one.
    expect((await api("POST", "/companies", { body: { name: "Cafe\u0301 Noir" } })).status).toBe(201);
    expect((await api("POST", "/companies", { body: { name: "Caf\u00e9 Noir" } })).status).toBe(409);
    expect(await snapshot()).not.toContainEqual(expect.objectContaining({ name: "UMBRELLA CO" }));
  });
});

describe("events", () => {
  const times = ["2026-01-01T10:00:00.000Z", "2026-01-02T10:00:00.000Z", "2026-01-03T10:00:00.000Z", "2026-01-04T10:00:00.000Z", "2026-01-05T10:00:00.000Z"];
  beforeAll(async () => {
    await api("POST", "/users", { body: { email: "ev@example.com", name: "Events" } });
    for (const [i, at] of times.entries()) {
      const reply = await api("POST", "/users/ev@example.com/events", { body: { type: "page.view", at, data: { n: i } } });
      expect(reply).toMatchObject({ status: 201, body: { at, type: "page.view", id: expect.any(String), data: { n: i } } });
    }
  });

  it("lists newest first by default, oldest first on request, across pages", async () => {
    expect((await allPages("/users/ev@example.com/events", { limit: "2" })).items.map((e) => e.at)).toEqual([...times].reverse());
    expect((await allPages("/users/ev@example.com/events", { limit: "2", order: "asc" })).items.map((e) => e.at)).toEqual(times);
  });

  it("lists a time range with between, bounds included", async () => {
    const { items } = await allPages("/users/ev@example.com/events", { from: "2026-01-02T10:00:00Z", to: "2026-01-04T10:00:00Z", order: "asc" });
    expect(items.map((e) => e.data.n)).toEqual([1, 2, 3]);
  });

  it("refuses events for a missing user with 404, writing nothing", async () => {
    const before = await snapshot();
    expect((await api("POST", "/users/ghost@example.com/events", { body: { type: "login" } })).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });
});

describe("errors", () => {
  it("answers every error as JSON { error: { code, message, details? } } with the right status", async () => {
    expect(await api("POST", "/users", { rawBody: "{nope" })).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    expect(await api("POST", "/users", { rawBody: "{}", headers: { "content-type": "text/plain" } })).toMatchObject({
      status: 415,
      body: { error: { code: "unsupported_media_type" } },
    });
    const invalid = await api("POST", "/users", { body: { email: "not-an-email", name: "", extra: true } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({ code: "invalid_request", message: "invalid body" });
    expect(invalid.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["", "email", "name"]);
    expect(await api("POST", "/users", { rawBody: JSON.stringify({ email: "big@example.com", name: "x".repeat(70_000) }) })).toMatchObject({ status: 413 });

    const wrongMethod = await api("DELETE", "/companies/Acme");
    expect(wrongMethod).toMatchObject({ status: 405, body: { error: { code: "method_not_allowed" } } });
    expect(wrongMethod.headers.allow).toBe("GET");
    expect(await api("GET", "/nowhere")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await api("GET", "/companies/Acme/members", { query: { limit: "0" } })).toMatchObject({
      status: 400,
      body: { error: { details: [{ path: "limit" }] } },
    });
  });
});
