/**
 * The write budget of a backfill, under a throttling storm and without one:
 * writes per second measured on the wall clock, so in `make test-slow`, away
 * from a busy suite that would starve DynamoDB Local.
 */
import { batchWriteAll } from "../src/data/batchWrite";
import { createDocumentClient } from "../src/runtime/clients";
import { backfill } from "../src/data/backfill";
import { throttlingFixture } from "./support/throttling";

const { admin, freshTable, quickClient, throttle, injectFaults, count } = throttlingFixture();

describe("a backfill's write budget", () => {
  it("keeps a backfill within its write budget through a throttling storm, with exact final counts", async () => {
    const tableName = await freshTable("throttle-budget");
    const items = 200;
    const budget = 200;
    await batchWriteAll(
      { documentClient: admin.documentClient, tableName },
      Array.from({ length: items }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
    );
    const client = quickClient();
    const faults = injectFaults(client);
    // Every write the table accepted, with the time its request left: what the budget limits. A throttled
    // attempt writes nothing (the SDK retries it at once here, where its 500 ms pause would hide the difference).
    const sent: { at: number; writes: number }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const at = performance.now();
        const result = await next(args);
        if (context.commandName === "UpdateItemCommand") sent.push({ at, writes: 1 });
        return result;
      },
      { step: "finalizeRequest", name: "count-writes" },
    );
    const lines: string[] = [];
    const result = await backfill({
      documentClient: createDocumentClient(client),
      client,
      tableName,
      segments: 4,
      maxWritesPerSecond: budget,
      progressEveryMs: 500,
      log: (line) => lines.push(line),
      transform: (item) => ({ ...item, migrated: true }),
    });
    client.destroy();

    expect(faults.throttled).toBeGreaterThan(10);
    expect(result).toMatchObject({ scanned: items, written: items });
    expect(await count(tableName, "attribute_exists(migrated)")).toBe(items);
    const seconds = (sent.at(-1)!.at - sent[0]!.at) / 1_000;
    const total = sent.reduce((n, s) => n + s.writes, 0);
    expect(total).toBeGreaterThanOrEqual(items);
    expect(total / seconds).toBeLessThanOrEqual(budget * 1.1);
    // Within any one second, too.
    const busiest = Math.max(...sent.map((s) => sent.filter((o) => o.at >= s.at && o.at < s.at + 1_000).reduce((n, o) => n + o.writes, 0)));
    expect(busiest).toBeLessThanOrEqual(budget * 1.1);
    expect(lines.some((l) => /budget \d+ writes\/s, scanned ~\d+% of ~\d+, ETA/.test(l))).toBe(true);
    process.stdout.write(
      `budget ${budget}/s: ${total} writes sent in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s average, busiest second ${busiest}); ${faults.throttled} throttled\n`,
    );
  }, 60_000);

  it("halves its budget and retries when throttling outlasts the SDK's own retries, with exact final counts", async () => {
    const tableName = await freshTable("throttle-outlasting");
    const items = 60;
    const budget = 400;
    await batchWriteAll(
      { documentClient: admin.documentClient, tableName },
      Array.from({ length: items }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
    );
    const client = quickClient();
    const sent: { at: number }[] = [];
    let thrown = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "UpdateItemCommand") return next(args);
        sent.push({ at: performance.now() });
        // Every third write: throttled after the SDK gave up (this step is outside its retries), so the backfill sees it.
        if (sent.length % 3 === 0) {
          thrown++;
          throw throttle();
        }
        return next(args);
      },
      { step: "initialize", name: "throttle-after-retries" },
    );
    const lines: string[] = [];
    const result = await backfill({
      documentClient: createDocumentClient(client),
      tableName,
      segments: 4,
      maxWritesPerSecond: budget,
      progressEveryMs: 200,
      log: (line) => lines.push(line),
      transform: (item) => ({ ...item, migrated: true }),
    });
    client.destroy();

    expect(thrown).toBeGreaterThan(15);
    expect(result).toMatchObject({ written: items, retries: thrown });
    expect(await count(tableName, "attribute_exists(migrated)")).toBe(items);
    const busiest = Math.max(...sent.map((s) => sent.filter((o) => o.at >= s.at && o.at < s.at + 1_000).length));
    expect(busiest).toBeLessThanOrEqual(budget * 1.1);
    // The budget in force drops below the ceiling while the table throttles.
    const budgets = lines.map((l) => Number(/budget (\d+) writes\/s/.exec(l)?.[1])).filter((n) => n > 0);
    expect(Math.min(...budgets)).toBeLessThan(budget);
    process.stdout.write(`throttled after the SDK's retries, budget ${budget}/s: ${sent.length} writes sent, ${thrown} throttled, busiest second ${busiest}\n`);
  }, 120_000);

  it("uses its write budget, and no more, when the table does not throttle", async () => {
    const tableName = await freshTable("budget-calm");
    // Well under what DynamoDB Local sustains even on a busy machine, so the budget, not the table, sets the pace.
    const items = 120;
    const budget = 50;
    await batchWriteAll(
      { documentClient: admin.documentClient, tableName },
      Array.from({ length: items }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
    );
    const started = performance.now();
    const result = await backfill({ ...admin, tableName, segments: 4, maxWritesPerSecond: budget, transform: (item) => ({ ...item, migrated: true }) });
    const perSecond = result.written / ((performance.now() - started) / 1_000);
    expect(result.written).toBe(items);
    expect(perSecond).toBeLessThanOrEqual(budget * 1.1);
    expect(perSecond).toBeGreaterThan(budget * 0.5);
  });
});
