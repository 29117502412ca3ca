import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { contract } from "../../src/app/contract";
import { walk, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { isolatedLocalDeployment, type LocalDeployment } from "../../scripts/deployments";
import { deployLocal, destroyLocal, localLogFiles, localPaths } from "../../scripts/localDeployment";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_REGION, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { pollUntil } from "@dynamodb-starter/kit/ops";
import { FUNCTIONS } from "../support/functions";
import { requestAuthorization, signLocalToken } from "../../scripts/localIssuer";
import { isAlive } from "../../scripts/processes";

// A deployment of its own (state dir, ports), so a developer's running `make deploy` is never touched.
let d: LocalDeployment;
const quiet = () => {};

/** Sends a sample request as its caller, with a token of the deployment's local issuer (as `make token` signs them). */
async function send(url: string, request: SampleRequest): Promise<{ status: number; body: unknown }> {
  const { method, path, query, body } = request;
  const authorization = await requestAuthorization(localPaths(d).issuer, contract);
  const target = `${url}${path}${query ? `?${new URLSearchParams(query)}` : ""}`;
  const response = await fetch(target, {
    method,
    headers: { ...authorization(request), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  d = await isolatedLocalDeployment("local-deployment");
});
afterAll(() => destroyLocal(d, quiet));

describe("the local deployment (make deploy / make destroy)", () => {
  it("brings up DynamoDB Local, migrates the table and serves the built artifact over HTTP", async () => {
    const lines: string[] = [];
    process.env.AWS_SECRET_ACCESS_KEY = "the-deployer-s-secret"; // what a developer's shell may hold
    const first = await deployLocal(d, (line) => lines.push(line)).finally(() => delete process.env.AWS_SECRET_ACCESS_KEY);
    // The local API gets only the environment it needs, as a Lambda function does: never the deployer's credentials.
    const environment = execFileSync("ps", ["eww", "-o", "command=", "-p", String(first.apiPid)], { encoding: "utf8" });
    expect(environment).toContain(`TABLE_NAME=${d.tableName}`);
    expect(environment).not.toContain("the-deployer-s-secret");
    expect(environment).not.toContain("AWS_LAMBDA_FUNCTION_NAME"); // it says what it wants (MIGRATIONS_ON_CONNECT, REQUEST_LOG) instead of posing as Lambda
    expect(first.startedDynamo).toBe(true);
    // The backfills this deploy applied ran once more after the new API was serving (the catch-up pass).
    const backfilled = contract.api.migrations.filter((m) => m.backfill).map((m) => m.name);
    const serving = lines.findIndex((l) => l.startsWith("local API ("));
    const caughtUp = backfilled.map((name) => lines.findIndex((l) => l.trim().startsWith(`catch-up of ${name}: scanned`)));
    expect(caughtUp.every((i) => i > serving && serving >= 0)).toBe(true);

    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" }); // public: it names no table

    // The app's walkthrough (src/app/contract.ts), over HTTP, through the built artifact.
    await walk(
      [...contract.walkthrough, ...contract.load.setup],
      (request) => send(first.url, request),
      ({ method, path, status }, reply) => expect({ method, path, status: reply.status }).toEqual({ method, path, status }),
    );

    // Nobody in who does not belong: no token, another issuer's token, a token for someone else's data.
    const [firstRead] = contract.load.reads;
    expect((await fetch(`${first.url}${firstRead!.path}`)).status).toBe(401);
    expect((await fetch(`${first.url}${firstRead!.path}`, { headers: { authorization: "Bearer e30.e30." } })).status).toBe(401);
    const stranger = await signLocalToken(localPaths(d).issuer, { sub: "stranger", email: "stranger@example.com" });
    const denied = await fetch(`${first.url}/users/reader@example.com`, { headers: { authorization: `Bearer ${stranger}` } });
    expect({ status: denied.status, body: await denied.json() }).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });

    // The stream consumer, on DynamoDB Local's own stream, keeps each company's member count: what the walkthrough left.
    const asOps = { as: "ops", status: 200 } as const;
    const countOf = async (company: string) => {
      const members = await send(first.url, { ...asOps, method: "GET", path: `/companies/${company}/members`, query: { limit: "100" } });
      const { memberCount } = (await send(first.url, { ...asOps, method: "GET", path: `/companies/${company}` })).body as { memberCount: number };
      return { listed: (members.body as { items: unknown[] }).items.length, memberCount };
    };
    const settled = (company: string) =>
      pollUntil(
        async () => {
          const { listed, memberCount } = await countOf(company);
          return listed === memberCount ? { done: true, value: memberCount } : { done: false, status: `${memberCount} counted, ${listed} listed` };
        },
        { what: `the member count of ${company}`, timeoutMs: 15_000, initialDelayMs: 100, maxDelayMs: 250 },
      );
    const acme = await settled("Acme");
    expect(acme).toBeGreaterThan(0);

    // A membership item the consumer cannot count, written past the API: it goes to the failure destination (which
    // make logs follows), and the records after it are counted all the same.
    const documentClient = createDocumentClient(createClient({ region: LOCAL_REGION, endpoint: first.endpoint }));
    await documentClient.send(new PutCommand({ TableName: d.tableName, Item: { pk: "COMPANY#acme", sk: "MEMBER#not-an-email" } }));
    await send(first.url, { as: "ops", method: "POST", path: "/users", body: { email: "late@example.com", name: "Late" }, status: 201 });
    await send(first.url, { as: "ops", method: "PUT", path: "/companies/Acme/members/late@example.com", body: { role: "member" }, status: 201 });
    const consumer = FUNCTIONS.find((f) => f.kind === "stream")!;
    const failures = await pollUntil(
      async () => {
        const text = existsSync(localPaths(d).failures(consumer.name)) ? readFileSync(localPaths(d).failures(consumer.name), "utf8").trim() : "";
        return text
          ? { done: true, value: text.split("\n").map((line) => JSON.parse(line) as { DDBStreamBatchInfo: { batchSize: number } }) }
          : { done: false, status: "none yet" };
      },
      { what: "the failure destination", timeoutMs: 15_000, initialDelayMs: 100, maxDelayMs: 250 },
    );
    expect(failures.map((f) => f.DDBStreamBatchInfo.batchSize)).toEqual([1]);
    expect(localLogFiles(d, FUNCTIONS)).toContain(localPaths(d).failures(consumer.name));
    await pollUntil(
      async () => {
        const { memberCount } = await countOf("Acme");
        return memberCount === acme + 1 ? { done: true, value: undefined } : { done: false, status: `${memberCount}` };
      },
      { what: "the count after the poisoned record", timeoutMs: 15_000, initialDelayMs: 100, maxDelayMs: 250 },
    );

    // One JSON line per request in the API's log (make logs), as in Lambda.
    expect(readFileSync(localPaths(d).apiLog, "utf8")).toMatch(/"type":"request","requestId":"[^"]+","route":"GET \/health","status":200/);

    const unknown = await fetch(`${first.url}/nowhere`, { headers: { authorization: `Bearer ${stranger}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });

    // Deploying again replaces the API process and keeps the database and its data.
    const again: string[] = [];
    const second = await deployLocal(d, (line) => again.push(line));
    expect(second.startedDynamo).toBe(false);
    expect(again.filter((l) => l.includes("catch-up"))).toEqual([]); // nothing applied, nothing to catch up
    expect(second.dynamoPid).toBe(first.dynamoPid);
    expect(second.apiPid).not.toBe(first.apiPid);
    expect(isAlive(first.apiPid)).toBe(false);
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
    // The data survived the redeploy: the reads that need the setup written before it still succeed.
    for (const request of contract.load.reads) expect((await send(second.url, request)).status).toBe(request.status);

    await destroyLocal(d, quiet);
    expect(isAlive(second.apiPid)).toBe(false);
    expect(isAlive(second.dynamoPid)).toBe(false);
    expect(existsSync(d.stateDir)).toBe(false);
    await expect(fetch(`${second.url}/health`)).rejects.toThrow();
  });
});
