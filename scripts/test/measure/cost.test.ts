/** The arithmetic of make cost: request lines into units per route, units into dollars, two runs into their changes. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { costChanges, loadPrices, main, parseAmount, priceRoute, readComparison, routeUsage, type CostReport } from "../../src/measure/cost";
import { jsonLines } from "../../src/local/logLines";

const line = (Route: string, ReadUnits: number, WriteUnits: number, Latency: number, ColdStart = 0) => ({
  type: "request",
  Route,
  ReadUnits,
  WriteUnits,
  Latency,
  ColdStart,
});

describe("make cost", () => {
  it("adds up each route's request lines, and nothing else", () => {
    const usage = routeUsage([
      line("GET /a/{id}", 0.5, 0, 10, 1),
      line("GET /a/{id}", 1.5, 0, 30),
      line("POST /a", 0, 2, 50),
      { type: "stream-batch", Records: 4, ReadUnits: 9 },
      { level: "warn", message: "request failed", Route: "GET /a/{id}" },
    ]);
    const bytes = (...xs: object[]) => Math.round(xs.reduce((n, x) => n + JSON.stringify(x).length + 1, 0) / xs.length);
    expect(usage).toEqual({
      "GET /a/{id}": {
        requests: 2,
        readUnitsPerRequest: 1,
        writeUnitsPerRequest: 0,
        latencyMs: { p50: 20, mean: 20 },
        coldStarts: 1,
        logBytesPerRequest: bytes(line("GET /a/{id}", 0.5, 0, 10, 1), line("GET /a/{id}", 1.5, 0, 30)),
      },
      "POST /a": {
        requests: 1,
        readUnitsPerRequest: 0,
        writeUnitsPerRequest: 2,
        latencyMs: { p50: 50, mean: 50 },
        coldStarts: 0,
        logBytesPerRequest: bytes(line("POST /a", 0, 2, 50)),
      },
    });
  });

  it("keeps every route's total units, whatever the lines (property)", () => {
    const lines = fc.array(fc.tuple(fc.constantFrom("GET /x", "PUT /x/{id}", "DELETE /y"), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })), {
      minLength: 1,
    });
    fc.assert(
      fc.property(lines, (xs) => {
        const usage = routeUsage(xs.map(([route, r, w]) => line(route, r / 2, w, 5)));
        for (const [route, u] of Object.entries(usage)) {
          const mine = xs.filter(([r]) => r === route);
          expect(u.requests).toBe(mine.length);
          expect(u.readUnitsPerRequest * u.requests).toBeCloseTo(
            mine.reduce((n, [, r]) => n + r / 2, 0),
            1,
          );
          expect(u.writeUnitsPerRequest * u.requests).toBeCloseTo(
            mine.reduce((n, [, , w]) => n + w, 0),
            1,
          );
        }
      }),
    );
  });

  it("prices a route by the price file: units on demand, GB-seconds with the init share, and the HTTP API's requests", () => {
    const prices = loadPrices();
    expect(prices.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const usage = { requests: 1, readUnitsPerRequest: 0.5, writeUnitsPerRequest: 1, latencyMs: { p50: 9, mean: 9.2 }, coldStarts: 0, logBytesPerRequest: 1024 };
    const cost = priceRoute(usage, prices, 1024, 0.01, 200);
    expect(cost.dynamodb).toBeCloseTo(0.5 * prices.dynamodb.onDemandReadRequestUnitsPerMillion + prices.dynamodb.onDemandWriteRequestUnitsPerMillion, 4);
    // 10 ms billed (rounded up) + 1% of a 200 ms init = 12 ms of 1 GB, a million times, and the requests.
    expect(cost.lambda).toBeCloseTo(0.012 * prices.lambda.arm64GbSecond * 1e6 + prices.lambda.requestsPerMillion, 4);
    expect(cost.apiGateway).toBe(prices.apiGateway.httpApiRequestsPerMillion);
    // A KB of log per request: a million of them is 1,000,000 KB, 0.95 GB ingested.
    expect(cost.logs).toBeCloseTo((1e6 / 1024 ** 2) * prices.cloudwatchLogs.ingestionPerGb, 4);
    expect(cost.total).toBeCloseTo(cost.dynamodb + cost.lambda + cost.apiGateway + cost.logs, 3);
  });

  it("reads JSON lines from a byte offset, skipping what is not JSON", () => {
    const file = join(mkdtempSync(join(tmpdir(), "cost-")), "api.log");
    const first = `${JSON.stringify(line("GET /x", 1, 0, 1))}\n`;
    writeFileSync(file, `${first}local API listening\n{broken\n${JSON.stringify(line("GET /x", 2, 0, 1))}\n`);
    expect(jsonLines(file).map((l) => l.ReadUnits)).toEqual([1, 2]);
    expect(jsonLines(file, Buffer.byteLength(first)).map((l) => l.ReadUnits)).toEqual([2]);
  });

  it("says what changed against another run, route by route", () => {
    const report = (routes: Record<string, [number, number, number]>): CostReport => ({
      measuredAt: "",
      prices: { file: "", region: "", asOf: "" },
      memoryMb: 256,
      coldStartRate: 0,
      initMs: 0,
      routes: Object.fromEntries(
        Object.entries(routes).map(([route, [r, w, total]]) => [
          route,
          {
            requests: 1,
            readUnitsPerRequest: r,
            writeUnitsPerRequest: w,
            latencyMs: { p50: 1, mean: 1 },
            coldStarts: 0,
            logBytesPerRequest: 0,
            perMillion: { dynamodb: 0, lambda: 0, apiGateway: 0, logs: 0, total },
          },
        ]),
      ),
    });
    const table = costChanges(report({ "GET /x": [0.5, 0, 1.3], "DELETE /y": [0, 1, 2] }), report({ "GET /x": [1, 0, 1.4], "POST /z": [0, 2, 2.5] }));
    expect(table).toContain("| GET /x    | 0.50 -> 1.00 (+100%) | =");
    expect(table).toMatch(/DELETE \/y \| removed/);
    expect(table).toMatch(/POST \/z\s+\| new: 0\.00/);
  });

  it("compares with any file holding a report's route figures, and refuses anything else, saying what is wrong (property)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cost-compare-"));
    const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    const units = fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(-1, "1", null));
    const route = fc.record({ readUnitsPerRequest: units, writeUnitsPerRequest: units, perMillion: fc.oneof(fc.record({ total: units }), fc.constant(null)) });
    const file = fc.oneof(fc.record({ routes: fc.dictionary(fc.string(), route, { maxKeys: 3 }) }), fc.jsonValue());
    const after = { routes: { "GET /x": { readUnitsPerRequest: 1, writeUnitsPerRequest: 0, perMillion: { total: 1 } } } } as unknown as CostReport;
    const ok = (n: unknown) => typeof n === "number" && n >= 0;
    fc.assert(
      fc.property(file, (content) => {
        const path = write("cost.json", JSON.stringify(content));
        const routes = (content as { routes?: unknown })?.routes;
        const valid =
          typeof routes === "object" &&
          routes !== null &&
          !Array.isArray(routes) &&
          Object.values(routes).every(
            (r: { readUnitsPerRequest?: unknown; writeUnitsPerRequest?: unknown; perMillion?: { total?: unknown } | null }) =>
              ok(r.readUnitsPerRequest) && ok(r.writeUnitsPerRequest) && ok(r.perMillion?.total),
          );
        if (!valid) return void expect(() => readComparison(path)).toThrow(`--compare: ${path} is not a report written by make cost (`);
        const table = costChanges(readComparison(path), after);
        expect(table).not.toMatch(/NaN|undefined/);
      }),
    );
    expect(() => readComparison(write("cut.json", '{"routes": {"GET /x": {"readUnits'))).toThrow(/is not a report written by make cost \(.*JSON/);
    expect(() => readComparison(write("old.json", '{"routes": {"GET /x": {"readUnits": 1}}}'))).toThrow(/readUnitsPerRequest/);
  });

  it("takes any amount written as 10 to 1,000,000 in digits exactly, and refuses anything else (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -5, max: 2_000_000 }).map(String), fc.constantFrom("1e3", "0x20", " 50", "50.0", "010")), (text) => {
        const valid = /^[0-9]+$/.test(text) && Number(text) >= 10 && Number(text) <= 1_000_000;
        if (valid) expect(parseAmount(text)).toBe(Number(text));
        else expect(() => parseAmount(text)).toThrow("--amount must be a whole number of requests from 10 to 1,000,000");
      }),
    );
  });

  it("refuses an amount it cannot run and a comparison file that is not there, before deploying anything", async () => {
    await expect(main(["--amount", "5"])).rejects.toThrow("--amount must be a whole number of requests from 10 to 1,000,000");
    await expect(main(["--amount", "1e3x"])).rejects.toThrow("--amount must be");
    await expect(main(["--compare", "/nowhere/cost.json"])).rejects.toThrow("--compare: no file /nowhere/cost.json");
    await expect(main(["--bogus"])).rejects.toThrow(/bogus/);
  });
});
