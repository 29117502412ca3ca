/**
 * The service's local deployment (make deploy / make destroy), end to end over HTTP through the built artifacts,
 * driven by its contract alone: its walkthrough as each caller, the edge refusing every route that is not public to
 * a request without a valid token, each scheduled job run once, a redeploy that keeps the data, a destroy that
 * leaves nothing running. It passes or fails for whatever app the service has.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { walk, withCaptured, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { apiRouteTable } from "@dynamodb-starter/kit/runtime";
import { pollUntil } from "@dynamodb-starter/kit/ops";
import { jsonLines } from "../src/local/logLines";
import { isolatedLocalDeployment, type LocalDeployment } from "../src/deployments";
import { deployLocal, destroyLocal, invokeLocal, localPaths } from "../src/local/localDeployment";
import { requestAuthorization } from "../src/local/localIssuer";
import { isAlive } from "../src/local/processes";
import { contract, functions, service } from "./service";

// A deployment of its own (state dir, ports), so a developer's running `make deploy` is never touched.
let d: LocalDeployment;
const quiet = () => {};

/** Sends a sample request with the headers given (by default, a token of the deployment's issuer for its caller). */
async function send(url: string, request: SampleRequest, headers?: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const { method, path, query, body } = request;
  const authorization = headers ?? (await requestAuthorization(localPaths(d).issuer, contract))(request);
  const response = await fetch(`${url}${path}${query ? `?${new URLSearchParams(query)}` : ""}`, {
    method,
    headers: { ...authorization, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: response.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : undefined };
}

/** Whether API Gateway lets a request through without a token: its route (matched as API Gateway does) is public. */
const routes = apiRouteTable(contract.api).map(({ routeKey, public: open }) => {
  const [method, template] = routeKey.split(" ") as [string, string];
  const pattern = new RegExp(`^${template.replace(/\{[^/}]+\+\}/g, ".+").replace(/\{[^/}]+\}/g, "[^/]+")}$`);
  return { method, pattern, open };
});
const isPublic = ({ method, path }: SampleRequest) => routes.some((r) => r.method === method && r.pattern.test(path) && r.open);

beforeAll(async () => {
  // A short local shift: this check is about the deployment, the shift's own test is the CLI's.
  d = { ...(await isolatedLocalDeployment("local-deployment", service)), shift: { share: 0.5, seconds: 1 } };
});
afterAll(() => destroyLocal(d, quiet));

describe("the local deployment (make deploy / make destroy)", () => {
  it("brings up DynamoDB Local, migrates the table and serves the built artifacts, the walkthrough passing over HTTP", async () => {
    const lines: string[] = [];
    process.env.AWS_SECRET_ACCESS_KEY = "the-deployer-s-secret"; // what a developer's shell may hold
    const first = await deployLocal(d, (line) => lines.push(line), functions).finally(() => delete process.env.AWS_SECRET_ACCESS_KEY);
    // The local API gets only the environment it needs, as a Lambda function does: never the deployer's credentials.
    const environment = execFileSync("ps", ["eww", "-o", "command=", "-p", String(first.apiPid)], { encoding: "utf8" });
    expect(environment).toContain(`TABLE_NAME=${d.tableName}`);
    expect(environment).not.toContain("the-deployer-s-secret");
    expect(environment).not.toContain("AWS_LAMBDA_FUNCTION_NAME"); // it says what it wants (MIGRATIONS_ON_CONNECT, TELEMETRY) instead of posing as Lambda
    expect(first.startedDynamo).toBe(true);
    // The backfills this deploy applied ran once more after the new API was serving (the catch-up pass).
    const backfilled = contract.api.migrations.filter((m) => m.backfill).map((m) => m.name);
    const serving = lines.findIndex((l) => l.startsWith("local API ("));
    const caughtUp = backfilled.map((name) => lines.findIndex((l) => l.trim().startsWith(`catch-up of ${name}: scanned`)));
    expect(caughtUp.every((i) => i > serving && serving >= 0)).toBe(true);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);

    // The walkthrough, each request as its caller, through the built artifact; then the load mix's setup, whose
    // captured values the reads after the redeploy use.
    const sent: SampleRequest[] = [];
    await walk(
      contract.walkthrough,
      (request) => (sent.push(request), send(first.url, request)),
      ({ method, path, status }, reply) => expect({ method, path, status: reply.status }).toEqual({ method, path, status }),
    );
    const captured = await walk(
      contract.load.setup,
      (request) => send(first.url, request),
      ({ method, path, status }, reply) => expect({ method, path, status: reply.status }).toEqual({ method, path, status }),
    );

    // The edge refuses every request of the walkthrough whose route is not public, before the app: no token, or one no
    // issuer of the deployment signed.
    const guarded = sent.filter((request) => !isPublic(request));
    expect(guarded.length).toBeGreaterThan(0);
    for (const request of guarded) {
      for (const headers of [{}, { authorization: "Bearer e30.e30." }] as Record<string, string>[]) {
        const { status } = await send(first.url, request, headers);
        expect({ route: `${request.method} ${request.path}`, headers, status }).toEqual({ route: `${request.method} ${request.path}`, headers, status: 401 });
      }
    }

    // Each scheduled job runs now, on what the walkthrough left, and answers.
    for (const job of functions.filter((f) => f.kind === "schedule")) await invokeLocal(d, job, quiet);

    // One JSON line per request in the API's log (make logs), as in Lambda: its log line and its metrics.
    const requests = readFileSync(localPaths(d).apiLog, "utf8")
      .split("\n")
      .filter((line) => line.includes('"type":"request"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(requests).toContainEqual(expect.objectContaining({ Route: "GET /health", status: 200, Service: "local", correlationId: expect.any(String) }));

    // A request's correlation id reaches the stream consumers' lines for the changes its writes made: one id finds both.
    const requestIds = new Set(requests.map((r) => r.correlationId));
    for (const consumer of functions.filter((f) => f.kind === "stream")) {
      const followed = await pollUntil(
        async () => {
          const file = localPaths(d).functionLog(consumer.name);
          const records = existsSync(file) ? jsonLines(file).filter((l) => l.type === "stream-record") : [];
          const traced = records.filter((l) => requestIds.has(l.correlationId));
          return traced.length > 0 ? { done: true, value: traced } : { done: false, status: `${records.length} record line(s), none of a request` };
        },
        { what: `${consumer.name} to log a record of a request's write`, timeoutMs: 30_000 },
      );
      expect(followed[0]).toMatchObject({ level: "info", correlationId: expect.any(String), event: expect.stringMatching(/^(INSERT|MODIFY|REMOVE)$/) });
    }

    // Deploying again moves the running API to the new build (it keeps serving) and keeps the database and its data.
    const again: string[] = [];
    const second = await deployLocal(d, (line) => again.push(line), functions);
    expect(second.startedDynamo).toBe(false);
    expect(again.filter((l) => l.includes("catch-up"))).toEqual([]); // nothing applied, nothing to catch up
    expect(second.dynamoPid).toBe(first.dynamoPid);
    expect(second.apiPid).toBe(first.apiPid);
    expect(again.some((l) => /^local API \(pid \d+\) serves release \w+/.test(l))).toBe(true);
    // The data survived the redeploy: the reads that need the setup written before it still succeed.
    for (const read of contract.load.reads) {
      const request = withCaptured(read, captured);
      expect({ path: request.path, status: (await send(second.url, request)).status }).toEqual({ path: request.path, status: request.status });
    }

    await destroyLocal(d, quiet);
    expect(isAlive(second.apiPid)).toBe(false);
    expect(isAlive(second.dynamoPid)).toBe(false);
    expect(existsSync(d.stateDir)).toBe(false);
    await expect(fetch(`${second.url}/health`)).rejects.toThrow();
    // Two deploys, each building every function, and waits on the consumers: 25 s alone, 70 s measured beside the
    // template's other slow suites on 2 cores. A guard against a hang, not a speed target (make bench has those).
  }, 180_000);
});
