import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll } from "../src/data/batchWrite";
import { connect } from "../src/runtime/connect";
import { createDocumentClient } from "../src/runtime/clients";
import { ensureTable } from "../src/table/ensureTable";
import { LOCAL_REGION } from "../src/runtime/config";
import { backfill } from "../src/data/backfill";
import { api } from "./support/testApp";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tables: string[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
});
async function freshTable(prefix: string): Promise<string> {
  const tableName = uniqueTableName(prefix);
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  return tableName;
}

/**
 * The SDK's own retries — three attempts, throttling and transient errors retried, client errors not —
 * with 10 ms pauses instead of its 500 ms throttling base: a storm then costs the test seconds, not
 * half a minute, and presses the kit's budget harder, never less.
 */
const quickRetries: NonNullable<DynamoDBClientConfig["retryStrategy"]> = {
  acquireInitialRetryToken: async () => ({ getRetryCount: () => 0, getRetryDelay: () => 0 }),
  async refreshRetryTokenForRetry(token, { errorType }) {
    const count = token.getRetryCount() + 1;
    if (count >= 3 || errorType === "CLIENT_ERROR") throw new Error("no retry left"); // the SDK then throws the request's own error
    return { getRetryCount: () => count, getRetryDelay: () => 10 };
  },
  recordSuccess: () => {},
};
const quickClient = () =>
  new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: localEndpoint(),
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    retryStrategy: quickRetries,
  });

const throttle = () =>
  Object.assign(new Error("Rate of requests exceeds the allowed throughput (injected)"), {
    name: "ProvisionedThroughputExceededException",
    $fault: "client",
    $metadata: {},
  });

/**
 * On a real client: every other BatchWriteItem writes only half its requests and hands the rest back as
 * UnprocessedItems (as DynamoDB does under load), and every third write attempt (BatchWriteItem or
 * UpdateItem) is throttled outright.
 */
function injectFaults(client: DynamoDBClient): { throttled: number; partial: number } {
  const counts = { throttled: 0, partial: 0 };
  let calls = 0;
  let attempts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchWriteItemCommand" || ++calls % 2 === 0) return next(args);
      const input = args.input as { RequestItems: Record<string, unknown[]> };
      const [table, requests] = Object.entries(input.RequestItems)[0]!;
      if (requests.length < 2) return next(args);
      const half = Math.ceil(requests.length / 2);
      counts.partial++;
      const result = await next({ ...args, input: { ...input, RequestItems: { [table]: requests.slice(0, half) } } });
      (result.output as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems = { [table]: requests.slice(half) };
      return result;
    },
    { step: "initialize", name: "partial-batches" },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (["BatchWriteItemCommand", "UpdateItemCommand"].includes(context.commandName!) && ++attempts % 3 === 0) {
        counts.throttled++;
        throw throttle();
      }
      return next(args);
    },
    { step: "deserialize", name: "throttle", priority: "low" },
  );
  return counts;
}

async function count(tableName: string, filter?: string): Promise<number> {
  let total = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await admin.documentClient.send(
      new ScanCommand({ TableName: tableName, Select: "COUNT", ExclusiveStartKey, ConsistentRead: true, ...(filter ? { FilterExpression: filter } : {}) }),
    );
    total += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return total;
}

describe("throttling and partial batch results", () => {
  it("batchWriteAll retries UnprocessedItems and throttled calls until every item is written, exactly once", async () => {
    const tableName = await freshTable("throttle-batch");
    const client = quickClient();
    const faults = injectFaults(client);
    const requests = Array.from({ length: 150 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A", n: i } } }));

    const retries = await batchWriteAll({ documentClient: createDocumentClient(client), tableName }, requests);
    client.destroy();

    expect(faults.partial).toBeGreaterThan(3);
    expect(faults.throttled).toBeGreaterThan(3);
    expect(retries).toBeGreaterThanOrEqual(faults.partial);
    expect(await count(tableName)).toBe(150);
  });

  it("backfill finishes with an exact count under the same faults", async () => {
    const tableName = await freshTable("throttle-backfill");
    await batchWriteAll(
      { documentClient: admin.documentClient, tableName },
      Array.from({ length: 90 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
    );
    const client = quickClient();
    const faults = injectFaults(client);

    const result = await backfill({ documentClient: createDocumentClient(client), tableName, segments: 3, transform: (item) => ({ ...item, migrated: true }) });
    client.destroy();

    expect(faults.throttled).toBeGreaterThan(5);
    expect(result).toMatchObject({ scanned: 90, written: 90 });
    expect(await count(tableName, "attribute_exists(migrated)")).toBe(90);
    expect(await count(tableName)).toBe(90);
  });

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

  it("answers 503 when DynamoDB keeps throttling after the SDK's retries", async () => {
    const tableName = await freshTable("throttle-api");
    process.env.TABLE_NAME = tableName;
    const { client } = await connect({ migrations: [] });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetItemCommand") throw throttle();
        return next(args);
      },
      { step: "deserialize", name: "always-throttle", priority: "low" },
    );
    const reply = await api("GET", "/notes/someone");
    client.middlewareStack.remove("always-throttle");
    expect(reply).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
  });
});
