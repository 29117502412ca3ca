import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { contract } from "../../src/app/contract";
import { connect } from "@dynamodb-starter/kit/runtime";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { countRequests } from "@dynamodb-starter/kit/testing";
import { localClients, deleteTable, uniqueTableName, WRITE_OPERATIONS } from "@dynamodb-starter/kit/testing";
import { api } from "./handlerClient";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("access");
process.env.TABLE_NAME = tableName;
const { ada, grace, ops } = contract.callers as Record<"ada" | "grace" | "ops", NonNullable<(typeof contract.callers)[string]>>;
const noEmail = { sub: "robot" };

async function snapshot(): Promise<unknown[]> {
  const { Items = [] } = await documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.filter((i) => i.pk !== "_migrations").sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
}

/** A call that must be refused with 403: nothing in the table changes, and no write request is sent. */
async function refused(method: string, path: string, call: Parameters<typeof api>[2]) {
  const before = await snapshot();
  const { client: handlerClient } = await connect({ migrations: contract.api.migrations });
  const counter = countRequests(handlerClient);
  const reply = await api(method, path, call);
  counter.stop();
  expect(reply).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
  expect(counter.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
  expect(await snapshot()).toEqual(before);
}

beforeAll(async () => {
  await ensureTable({ client, tableName });
  expect((await api("POST", "/users", { as: ada, body: { email: "ada@example.com", name: "Ada" } })).status).toBe(201);
  expect((await api("POST", "/users", { as: grace, body: { email: "Grace@Example.com", name: "Grace" } })).status).toBe(201);
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

  it("makes whoever creates a company its owner, and lets only owners, admins of it and admins add members", async () => {
    expect((await api("POST", "/companies", { as: ada, body: { name: "Acme" } })).status).toBe(201);
    const members = await api("GET", "/companies/Acme/members", { as: grace });
    expect(members.body.items).toEqual([expect.objectContaining({ email: "ada@example.com", role: "owner" })]);

    await refused("PUT", "/companies/Acme/members/grace@example.com", { as: grace, body: { role: "owner" } });
    expect((await api("PUT", "/companies/Acme/members/grace@example.com", { as: ada, body: { role: "member" } })).status).toBe(201);
    // A plain member still may not add anyone.
    expect((await api("POST", "/users", { as: ops, body: { email: "carol@example.com", name: "Carol" } })).status).toBe(201);
    await refused("PUT", "/companies/Acme/members/carol@example.com", { as: grace, body: { role: "member" } });
    expect((await api("PUT", "/companies/Acme/members/carol@example.com", { as: ops, body: { role: "admin" } })).status).toBe(201);
    await refused("POST", "/companies", { as: noEmail, body: { name: "Robots" } });
  });

  it("refuses a company for a caller who has no user yet, and creates none", async () => {
    const before = await snapshot();
    const reply = await api("POST", "/companies", { as: { sub: "new", email: "new@example.com" }, body: { name: "Newco" } });
    expect(reply).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await snapshot()).toEqual(before);
  });
});
