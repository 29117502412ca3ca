import { existsSync } from "node:fs";
import { isolatedLocalDeployment, type LocalDeployment } from "../../scripts/deployments";
import { deployLocal, destroyLocal } from "../../scripts/localDeployment";
import { isAlive } from "../../scripts/processes";

// A deployment of its own (state dir, ports), so a developer's running `make deploy` is never touched.
let d: LocalDeployment;
const quiet = () => {};

beforeAll(async () => {
  d = await isolatedLocalDeployment("local-deployment");
});
afterAll(() => destroyLocal(d, quiet));

describe("the local deployment (make deploy / make destroy)", () => {
  it("brings up DynamoDB Local, migrates the table and serves the built artifact over HTTP", async () => {
    const first = await deployLocal(d, quiet);
    expect(first.startedDynamo).toBe(true);

    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", table: "app-local", settings: { maxPageSize: 100 } });

    // The README's walkthrough, over HTTP, through the built artifact.
    const send = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${first.url}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
    };
    expect((await send("POST", "/companies", { name: "Acme" })).status).toBe(201);
    expect((await send("POST", "/users", { email: "wile@example.com", name: "Wile" })).status).toBe(201);
    expect((await send("POST", "/users", { email: "wile@example.com", name: "Again" })).status).toBe(409);
    expect((await send("PUT", "/companies/Acme/members/wile@example.com", { role: "owner" })).status).toBe(201);
    expect((await send("GET", "/users/wile@example.com/companies")).body.items).toEqual([expect.objectContaining({ company: "Acme", role: "owner" })]);
    expect((await send("POST", "/users/wile@example.com/events", { type: "trap.set" })).status).toBe(201);
    expect((await send("GET", "/users/wile@example.com/events")).body.items).toEqual([expect.objectContaining({ type: "trap.set" })]);
    expect((await send("DELETE", "/users/wile@example.com")).status).toBe(204);

    const unknown = await fetch(`${first.url}/nowhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });

    // Deploying again replaces the API process and keeps the database and its data.
    const second = await deployLocal(d, quiet);
    expect(second.startedDynamo).toBe(false);
    expect(second.dynamoPid).toBe(first.dynamoPid);
    expect(second.apiPid).not.toBe(first.apiPid);
    expect(isAlive(first.apiPid)).toBe(false);
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
    expect((await fetch(`${second.url}/companies/Acme`)).status).toBe(200); // the data survived the redeploy

    await destroyLocal(d, quiet);
    expect(isAlive(second.apiPid)).toBe(false);
    expect(isAlive(second.dynamoPid)).toBe(false);
    expect(existsSync(d.stateDir)).toBe(false);
    await expect(fetch(`${second.url}/health`)).rejects.toThrow();
  });
});
