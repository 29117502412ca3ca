/**
 * `make cost`: what each route costs per million requests, from measured
 * units. It sends the contract's load mix to an isolated local deployment (the
 * load test's stack), reads the request lines the built API wrote (the same
 * metric lines CloudWatch reads in AWS: read and write units, latency, cold
 * starts), measures the bundle's init time, and prices them with
 * presets/prices.json: DynamoDB on demand, Lambda arm64 GB-seconds (the
 * handler's duration, and the init share for the measured cold-start rate),
 * API Gateway's HTTP API, and CloudWatch Logs' ingestion of the request's
 * line (which carries its metrics). Writes bench/cost.json; `--compare <file>` prints
 * the change against another run's (the pull request workflow passes main's).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as z from "zod/mini";
import { ConfigError, DEFAULT_METRICS_NAMESPACE } from "@dynamodb-starter/kit/runtime";
import { CLI_ROOT, project, type Project } from "../project";
import { textTable } from "../format";
import { httpFunction, loadFunctions } from "../functions";
import { DEFAULT_LAMBDA_MEMORY_MB, loadDeployment } from "../deployments";
import { median } from "./coldStart";
import { jsonLines } from "../local/logLines";
import type { Stack } from "./load";

export const PRICES_FILE = join(CLI_ROOT, "presets", "prices.json");

export interface Prices {
  region: string;
  currency: string;
  asOf: string;
  dynamodb: { onDemandReadRequestUnitsPerMillion: number; onDemandWriteRequestUnitsPerMillion: number };
  lambda: { arm64GbSecond: number; requestsPerMillion: number; initBilled: boolean };
  apiGateway: { httpApiRequestsPerMillion: number };
  cloudwatchLogs: { ingestionPerGb: number };
}
export const loadPrices = (file = PRICES_FILE): Prices => JSON.parse(readFileSync(file, "utf8")) as Prices;

/** What one route's requests consumed, from its request lines. */
export interface RouteUsage {
  requests: number;
  readUnitsPerRequest: number;
  writeUnitsPerRequest: number;
  latencyMs: { p50: number; mean: number };
  coldStarts: number;
  /** Bytes of log a request writes (its request line, as CloudWatch Logs ingests it). */
  logBytesPerRequest: number;
}

/** The request lines among a function's log lines (the kit's metric lines of type "request"), by route. */
export function routeUsage(lines: readonly Record<string, unknown>[]): Record<string, RouteUsage> {
  const byRoute = new Map<string, Record<string, unknown>[]>();
  for (const line of lines) {
    if (line.type !== "request" || typeof line.Route !== "string") continue;
    byRoute.set(line.Route, [...(byRoute.get(line.Route) ?? []), line]);
  }
  const sum = (xs: Record<string, unknown>[], key: string) => xs.reduce((n, x) => n + Number(x[key] ?? 0), 0);
  const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
  return Object.fromEntries(
    [...byRoute]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, xs]) => [
        route,
        {
          requests: xs.length,
          readUnitsPerRequest: round(sum(xs, "ReadUnits") / xs.length),
          writeUnitsPerRequest: round(sum(xs, "WriteUnits") / xs.length),
          latencyMs: { p50: round(median(xs.map((x) => Number(x.Latency))), 2), mean: round(sum(xs, "Latency") / xs.length, 2) },
          coldStarts: sum(xs, "ColdStart"),
          logBytesPerRequest: Math.round(xs.reduce((n, x) => n + Buffer.byteLength(JSON.stringify(x)) + 1, 0) / xs.length),
        },
      ]),
  );
}

export interface RouteCost extends RouteUsage {
  /** Dollars per million requests. */
  perMillion: { dynamodb: number; lambda: number; apiGateway: number; logs: number; total: number };
}

export interface CostReport {
  measuredAt: string;
  prices: { file: string; region: string; asOf: string };
  memoryMb: number;
  /** Cold starts over requests in the run, and the bundle's init time (module load, median in fresh processes). */
  coldStartRate: number;
  initMs: number;
  routes: Record<string, RouteCost>;
}

/**
 * Dollars per million requests of one route. Lambda bills the handler's duration rounded up to the millisecond, and
 * (for on-demand functions of managed runtimes, since 2025-08) the init phase of each cold start: here its share at the
 * measured cold-start rate.
 */
export function priceRoute(usage: RouteUsage, prices: Prices, memoryMb: number, coldStartRate: number, initMs: number): RouteCost["perMillion"] {
  const million = 1_000_000;
  const gb = memoryMb / 1024;
  const dynamodb =
    usage.readUnitsPerRequest * prices.dynamodb.onDemandReadRequestUnitsPerMillion +
    usage.writeUnitsPerRequest * prices.dynamodb.onDemandWriteRequestUnitsPerMillion;
  const billedSeconds = Math.ceil(usage.latencyMs.mean) / 1000 + (prices.lambda.initBilled ? (coldStartRate * Math.ceil(initMs)) / 1000 : 0);
  const lambda = billedSeconds * gb * prices.lambda.arm64GbSecond * million + prices.lambda.requestsPerMillion;
  const apiGateway = prices.apiGateway.httpApiRequestsPerMillion;
  const logs = ((usage.logBytesPerRequest * million) / 1024 ** 3) * prices.cloudwatchLogs.ingestionPerGb;
  const cents = (n: number) => Math.round(n * 10_000) / 10_000;
  return {
    dynamodb: cents(dynamodb),
    lambda: cents(lambda),
    apiGateway: cents(apiGateway),
    logs: cents(logs),
    total: cents(dynamodb + lambda + apiGateway + logs),
  };
}

/** Module load of a built bundle, in fresh processes (the init Lambda bills at a cold start, less the runtime's own start). */
export function initMilliseconds(bundle: string, runs = 7): number {
  const script = `const t=process.hrtime.bigint();import(${JSON.stringify(bundle)}).then(()=>process.stdout.write("@@"+Number(process.hrtime.bigint()-t)/1e6))`;
  const env = { ...process.env, TELEMETRY: "off", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  const times = Array.from({ length: runs }, () => {
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env });
    if (run.status !== 0) throw new Error(`loading ${bundle} failed: ${run.stderr}`);
    return Number(run.stdout.split("@@").at(-1));
  });
  return Math.round(median(times) * 10) / 10;
}

/** The HTTP function's memory: its config's, else the deployment's (the local deployment: the default every deployment starts from). */
function memoryOf(deployment: string, p: Project): number {
  const config = httpFunction(loadFunctions(p)).config;
  if (config.memoryMb) return config.memoryMb;
  const d = loadDeployment(deployment, { project: p });
  return d.kind === "aws" ? d.lambda.memoryMb : DEFAULT_LAMBDA_MEMORY_MB;
}

export interface CostOptions {
  /** Requests of the load mix. */
  amount?: number;
  connections?: number;
  /** The deployment whose Lambda memory prices the runs. */
  deployment?: string;
  log?: (line: string) => void;
}

/** Runs the load mix on an isolated stack and prices what its request lines say. */
export async function measureCost({ deployment = "local", ...options }: CostOptions = {}, p: Project = project()): Promise<CostReport> {
  const memoryMb = memoryOf(deployment, p);
  const { withLoadStack } = await import("./load");
  return withLoadStack((stack) => costOn(stack, { ...options, memoryMb }), p);
}

/** The load mix on a running stack (its setup sent), priced. */
export async function costOn(
  stack: Stack,
  { amount = 2_000, connections = 10, memoryMb, log = console.error }: Omit<CostOptions, "deployment"> & { memoryMb: number },
): Promise<CostReport> {
  const prices = loadPrices();
  const { loadRun } = await import("./load");
  const from = existsSync(stack.apiLog) ? statSync(stack.apiLog).size : 0; // after the setup requests
  log(`cost: ${amount} requests of the load mix over ${connections} connections against ${stack.url}`);
  const run = await loadRun(stack, { connections, amount });
  if (run.stats.unexpected > 0)
    throw new ConfigError(`cost: ${run.stats.unexpected} answer(s) of the load mix were not the statuses its contract expects; run make load to see them`);
  const usage = routeUsage(jsonLines(stack.apiLog, from));
  if (Object.keys(usage).length === 0)
    throw new ConfigError(`cost: the local API wrote no request lines to ${stack.apiLog}: is its telemetry on (TELEMETRY=on)?`);
  // Over the whole run, the setup's requests included: the process's one cold start is among them.
  const all = Object.values(routeUsage(jsonLines(stack.apiLog)));
  const coldStartRate = all.reduce((n, u) => n + u.coldStarts, 0) / all.reduce((n, u) => n + u.requests, 0);
  log("cost: timing the bundle's init in fresh processes");
  const initMs = initMilliseconds(stack.apiBundle);
  const routes = Object.fromEntries(
    Object.entries(usage).map(([route, u]) => [route, { ...u, perMillion: priceRoute(u, prices, memoryMb, coldStartRate, initMs) }]),
  );
  return {
    measuredAt: new Date().toISOString(),
    prices: { file: "presets/prices.json", region: prices.region, asOf: prices.asOf },
    memoryMb,
    coldStartRate: Math.round(coldStartRate * 1e6) / 1e6,
    initMs,
    routes,
  };
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** The report as the table `make cost` prints. */
export function costTable(report: CostReport): string {
  const rows = Object.entries(report.routes).map(([route, r]) => [
    route,
    String(r.requests),
    r.readUnitsPerRequest.toFixed(2),
    r.writeUnitsPerRequest.toFixed(2),
    `${r.latencyMs.p50} / ${r.latencyMs.mean}`,
    usd(r.perMillion.dynamodb),
    usd(r.perMillion.lambda),
    usd(r.perMillion.apiGateway),
    usd(r.perMillion.logs),
    usd(r.perMillion.total),
  ]);
  const header = ["route", "requests", "read units/req", "write units/req", "ms p50 / mean", "DynamoDB $/M", "Lambda $/M", "API $/M", "logs $/M", "total $/M"];
  return textTable([header, ...rows], { markdown: true });
}

/** Per route, what changed against `before` (a main branch's bench/cost.json): units per request and dollars per million. */
export function costChanges(before: CostReport, after: CostReport): string {
  const routes = [...new Set([...Object.keys(before.routes), ...Object.keys(after.routes)])].sort();
  const delta = (a: number | undefined, b: number | undefined, f: (n: number) => string) =>
    a === undefined
      ? `new: ${f(b!)}`
      : b === undefined
        ? "removed"
        : b === a
          ? "="
          : `${f(a)} -> ${f(b)} (${b > a ? "+" : ""}${Math.round(((b - a) / (a || 1)) * 100)}%)`;
  const rows = routes.map((route) => {
    const [a, b] = [before.routes[route], after.routes[route]];
    return [
      route,
      delta(a?.readUnitsPerRequest, b?.readUnitsPerRequest, (n) => n.toFixed(2)),
      delta(a?.writeUnitsPerRequest, b?.writeUnitsPerRequest, (n) => n.toFixed(2)),
      delta(a?.perMillion.total, b?.perMillion.total, usd),
    ];
  });
  return textTable([["route", "read units/req", "write units/req", "total $/M"], ...rows], { markdown: true });
}

/** What a comparison reads of another run's report: per route, its units per request and its total per million. */
const comparable = z.looseObject({
  routes: z.record(
    z.string(),
    z.looseObject({
      readUnitsPerRequest: z.number().check(z.nonnegative()),
      writeUnitsPerRequest: z.number().check(z.nonnegative()),
      perMillion: z.looseObject({ total: z.number().check(z.nonnegative()) }),
    }),
  ),
});

/** `--compare <file>`: another run's bench/cost.json, refused with what is wrong when it is not one. */
export function readComparison(file: string): CostReport {
  const refuse = (problem: string) =>
    new ConfigError(`--compare: ${file} is not a report written by make cost (${problem}); run make cost where it came from, or compare with another file`);
  if (!existsSync(file)) throw new ConfigError(`--compare: no file ${file} (a bench/cost.json written by make cost)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw refuse(error instanceof Error ? error.message : String(error));
  }
  const parsed = comparable.safeParse(raw);
  if (!parsed.success) throw refuse(z.prettifyError(parsed.error).replace(/\s*\n\s*/g, " "));
  return raw as CostReport;
}

/** `--amount`, as written: decimal digits only (no "1e3", no "0x20"), from 10 to 1,000,000 requests. */
export function parseAmount(text: string): number {
  const amount = /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(amount >= 10 && amount <= 1_000_000)) throw new ConfigError(`--amount must be a whole number of requests from 10 to 1,000,000; got "${text}"`);
  return amount;
}

export const COST_FILE = (p: Project) => join(p.root, "bench", "cost.json");

/** `make cost [DEPLOYMENT=name]`, and `starter cost --compare <file>`. */
export async function main(argv: string[], p: Project = project()): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { deployment: { type: "string" }, compare: { type: "string" }, amount: { type: "string" } },
    strict: true,
  });
  const amount = values.amount === undefined ? undefined : parseAmount(values.amount);
  let before: CostReport | undefined;
  if (values.compare) before = readComparison(values.compare);
  const report = await measureCost({ ...(amount ? { amount } : {}), ...(values.deployment ? { deployment: values.deployment } : {}) }, p);
  const prices = loadPrices();
  console.log(`\n${costTable(report)}\n`);
  console.log(
    `priced with ${report.prices.file} (${prices.region}, ${prices.currency}, as of ${prices.asOf}) for ${report.memoryMb} MB arm64; ` +
      `cold starts ${(report.coldStartRate * 100).toFixed(3)}% of requests, init ${report.initMs} ms each (billed); metrics under ${DEFAULT_METRICS_NAMESPACE}`,
  );
  mkdirSync(join(p.root, "bench"), { recursive: true });
  writeFileSync(COST_FILE(p), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${COST_FILE(p)}`);
  if (before) console.log(`\nagainst ${values.compare}:\n\n${costChanges(before, report)}\n`);
}
