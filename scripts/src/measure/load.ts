/**
 * `make load`: a bounded load test of the local deployment, on loopback only.
 * It deploys an isolated local stack (own ports, own data), sends the app's
 * load mix (its contract: setup, creates, reads, list queries) with
 * autocannon, and checks the table: every acknowledged create is stored, and
 * where a create's key is known before its answer, no unacknowledged one is.
 * `make bench` reuses it for its HTTP rows.
 */
import { BatchGetCommand, type BatchGetCommandOutput } from "@aws-sdk/lib-dynamodb";
import autocannon from "autocannon";
import { LOCAL_REGION, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { walk, withCaptured, type AppContract, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { join } from "node:path";
import { isolatedLocalDeployment } from "../deployments";
import { httpFunction, loadFunctions } from "../functions";
import { loadContract, project, type Project } from "../project";
import { deployLocal, destroyLocal, localPaths } from "../local/localDeployment";
import { requestAuthorization } from "../local/localIssuer";

export interface Stats {
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: { "2xx": number; "4xx": number; "5xx": number; errors: number; timeouts: number };
  /** Answers other than the status each request expects, 5xx, errors and timeouts. */
  unexpected: number;
}

export interface LoadResult extends Stats {
  seconds: number;
  /** unacknowledgedInTable counts only creates whose key is known before their answer (not those whose id the server makes). */
  creates: { acknowledged: number; inTable: number; missing: number; unacknowledgedInTable: number };
}

/** Which requests a run sends: the whole mix, or only the app's reads (a read-only row in the benchmark). */
export type LoadShape = "mix" | "reads" | "creates";

export interface LoadOptions {
  connections?: number;
  /** Total requests, or... */
  amount?: number;
  /** ...seconds to run. */
  duration?: number;
  shape?: LoadShape;
  log?: (line: string) => void;
}

const target = (r: SampleRequest) => `${r.path}${r.query ? `?${new URLSearchParams(r.query)}` : ""}`;
/** Headers and body of `r`, as its caller sends it: with the caller's bearer token. */
const parts = (stack: Stack, r: SampleRequest) => ({
  headers: { ...stack.authorization(r), ...(r.body === undefined ? {} : { "content-type": "application/json" }) },
  ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
});

/** Sends `request` and checks that it got the status the contract says; answers its JSON body. */
async function send(stack: Stack, request: SampleRequest): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.url}${target(request)}`, { method: request.method, ...parts(stack, request) });
  const text = await response.text();
  if (response.status !== request.status) throw new Error(`${request.method} ${request.path} answered ${response.status}, expected ${request.status}: ${text}`);
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** One autocannon run of `shape` against a running stack; resolves with its stats and the creates it attempted and saw acknowledged. */
export async function loadRun(stack: Stack, { connections = 50, amount, duration, shape = "mix" }: LoadOptions, firstCreate = 0) {
  const { load } = stack.contract;
  let next = firstCreate;
  /** Each create's key: known when sent, or read from its answer (then only acknowledged ones are known). */
  const attempted = new Map<number, Record<string, unknown>>();
  const keyFromAnswer = new Map<number, (response: unknown) => Record<string, unknown>>();
  const acknowledged = new Set<number>();
  let unexpectedStatus = 0;
  // autocannon shares one context per connection across its requests: only the create uses it, for its own number.
  type Context = { n?: number; expect?: number };
  const check = (expected: number) => (status: number) => {
    if (status !== expected) unexpectedStatus++;
  };
  const create: autocannon.Request = {
    method: "POST",
    setupRequest: (request, context) => {
      const { request: template, key } = load.create(next);
      const sample = withCaptured(template, stack.captured);
      Object.assign(context as Context, { n: next, expect: sample.status });
      if (typeof key === "function") keyFromAnswer.set(next++, key);
      else attempted.set(next++, key);
      return { ...request, method: sample.method as autocannon.Request["method"], path: target(sample), ...parts(stack, sample) };
    },
    onResponse: (status, body, context) => {
      const { n, expect } = context as Context;
      if (status === expect) {
        acknowledged.add(n!);
        const fromAnswer = keyFromAnswer.get(n!);
        if (fromAnswer) attempted.set(n!, fromAnswer(JSON.parse(body) as unknown));
      }
      check(expect!)(status);
    },
  };
  const reads: autocannon.Request[] = load.reads
    .map((template) => withCaptured(template, stack.captured))
    .map((r) => ({
      method: r.method as autocannon.Request["method"],
      path: target(r),
      ...parts(stack, r),
      onResponse: check(r.status),
    }));
  const requests = shape === "reads" ? reads : shape === "creates" ? [create] : [create, ...reads];
  const result = await autocannon({ url: stack.url, connections, timeout: 10, requests, ...(amount ? { amount } : { duration: duration ?? 5 }) });
  const statuses = { "2xx": result["2xx"], "4xx": result["4xx"], "5xx": result["5xx"], errors: result.errors, timeouts: result.timeouts };
  const stats: Stats = {
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    statuses,
    unexpected: unexpectedStatus + result.errors + result.timeouts,
  };
  return { stats, seconds: result.duration, attempted, acknowledged, keysKnownUpFront: keyFromAnswer.size === 0 };
}

/** A key as text, whatever the order of its attributes. */
const keyId = (key: Record<string, unknown>, names = Object.keys(key).sort()) => JSON.stringify(names.map((k) => [k, key[k]]));

/** Which of `keys` the table holds, read consistently in batches of 100. */
async function stored(stack: Stack, keys: Map<number, Record<string, unknown>>): Promise<Set<number>> {
  const client = createClient({ region: LOCAL_REGION, endpoint: stack.endpoint });
  const documentClient = createDocumentClient(client);
  const all = [...keys];
  const names = Object.keys(all[0]?.[1] ?? {}).sort();
  const byId = new Map(all.map(([n, key]) => [keyId(key, names), n]));
  const found = new Set<number>();
  try {
    for (let i = 0; i < all.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = all.slice(i, i + 100).map(([, key]) => key);
      while (pending?.length) {
        const page: BatchGetCommandOutput = await documentClient.send(
          new BatchGetCommand({ RequestItems: { [stack.tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of page.Responses?.[stack.tableName] ?? []) found.add(byId.get(keyId(item, names))!);
        pending = page.UnprocessedKeys?.[stack.tableName]?.Keys;
      }
    }
  } finally {
    client.destroy();
  }
  return found;
}

export interface Stack {
  url: string;
  endpoint: string;
  tableName: string;
  contract: AppContract;
  /** What the setup requests captured, for the creates and reads to use. */
  captured: Record<string, string>;
  /** The `authorization` header of a request's caller: a token of the stack's own local issuer. */
  authorization: (request: SampleRequest) => Record<string, string>;
  /** The local API's log: its functions' log and metric lines, one JSON document per line. */
  apiLog: string;
  /** The built HTTP function the stack serves (its index.mjs). */
  apiBundle: string;
}

/** Deploys an isolated stack, sends the contract's `setup`, runs `work` against it, and tears it down. */
export async function withLoadStack<T>(work: (stack: Stack) => Promise<T>, p: Project = project()): Promise<T> {
  const d = await isolatedLocalDeployment("load", p);
  const contract = loadContract(p);
  const quiet = () => {};
  try {
    const { url, endpoint } = await deployLocal(d, quiet);
    const authorization = await requestAuthorization(localPaths(d).issuer, contract);
    const apiBundle = join(d.buildDir, httpFunction(loadFunctions(p)).name, "index.mjs");
    const stack: Stack = { url, endpoint, tableName: d.tableName, contract, captured: {}, authorization, apiLog: localPaths(d).apiLog, apiBundle };
    stack.captured = await walk(
      contract.load.setup,
      (request) => send(stack, request),
      () => {},
    );
    return await work(stack);
  } finally {
    await destroyLocal(d, quiet);
  }
}

/** The load test: an isolated stack, the load mix, then every create checked against the table. */
export function runLoad(options: LoadOptions = {}, p: Project = project()): Promise<LoadResult> {
  const { connections = 50, amount = 5_000, log = console.log } = options;
  return withLoadStack(async (stack) => {
    log(`load: ${amount} requests over ${connections} connections against ${stack.url} (the app's load mix: creates, reads, list queries)`);
    const { stats, seconds, attempted, acknowledged, keysKnownUpFront } = await loadRun(stack, { ...options, connections, amount });
    const inTable = await stored(stack, attempted);
    return {
      ...stats,
      seconds,
      creates: {
        acknowledged: acknowledged.size,
        inTable: inTable.size,
        missing: [...acknowledged].filter((n) => !inTable.has(n)).length,
        unacknowledgedInTable: keysKnownUpFront ? [...inTable].filter((n) => !acknowledged.has(n)).length : 0,
      },
    };
  }, p);
}

/** `make load`. */
export async function main(): Promise<void> {
  const r = await runLoad();
  console.log(JSON.stringify(r, null, 2));
  const ok = r.unexpected === 0 && r.statuses["5xx"] === 0 && r.creates.missing === 0 && r.creates.unacknowledgedInTable === 0;
  console.log(ok ? "load: OK (every answer as expected, every acknowledged create stored, nothing else stored)" : "load: FAILED");
  if (!ok) process.exitCode = 1;
}
