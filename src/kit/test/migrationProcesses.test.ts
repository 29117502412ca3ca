import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../src/table/ensureTable";
import { bundleForNode } from "./support/bundle";
import { countingMigrations, runsOf } from "./support/countingMigrations";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../src/testing/tables";

const { client, documentClient } = localClients();
const tables: string[] = [];
let child: string;

beforeAll(async () => {
  child = await bundleForNode("migrationChild.ts", "migrationChild");
});
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(client, t)));
  client.destroy();
});

async function freshTable(prefix: string): Promise<string> {
  const tableName = uniqueTableName(prefix);
  tables.push(tableName);
  await ensureTable({ client, tableName });
  return tableName;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const SKEWED_CLOCK = resolve(__dirname, "support/skewedClock.js");

/** Runs the child; `onLine` sees each line it prints, with its process. `skewMs` shifts its wall clock. */
function run(args: string[], onLine?: (line: string, proc: ChildProcess) => void, skewMs = 0): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--require", SKEWED_CLOCK, child, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOCK_SKEW_MS: String(skewMs) },
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      for (const line of chunk.toString().split("\n").filter(Boolean)) onLine?.(line, proc);
    });
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    proc.on("error", reject);
    proc.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A counter the "slow" migration keeps in the table. */
const slowCount = async (tableName: string, sk: string) =>
  Number((await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_test#slow", sk }, ConsistentRead: true }))).Item?.n ?? 0);

const executedRecords = async (tableName: string) =>
  (
    await documentClient.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": "_migrations", ":prefix": "migration#" },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

describe("migrations across processes", () => {
  it("runs each migration exactly once when 12 cold starts race connect() on a fresh table", async () => {
    const tableName = await freshTable("race");
    const count = 5;
    const startAt = String(Date.now() + 3_000);

    const runs = await Promise.all(Array.from({ length: 12 }, () => run(["connect", localEndpoint(), tableName, String(count), startAt])));

    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    for (const { name } of countingMigrations(count)) expect(await runsOf(documentClient, tableName, name)).toBe(1);
    expect((await executedRecords(tableName)).map((item) => item.name).sort()).toEqual(countingMigrations(count).map((m) => m.name));

    // Once nothing is pending, a cold start never loads umzug.
    const warm = await run(["connect", localEndpoint(), tableName, String(count), "0"]);
    expect(JSON.parse(warm.stdout)).toEqual({ ok: true, umzugLoaded: false });
  });

  it("never runs a migration in two processes at once when their clocks disagree by ±2 minutes (3 s lease, 20 s migration)", async () => {
    // Both ways round, at once: the holder's clock behind the waiter's, and ahead of it. The waiter starts once the holder is migrating.
    const race = async (holderSkewMs: number, waiterSkewMs: number) => {
      const tableName = await freshTable("skew");
      let waiter: Promise<Run> | undefined;
      const holder = await run(
        ["slow", localEndpoint(), tableName, "3000", "20000"],
        (line) => {
          if (line === "started") waiter = run(["slow", localEndpoint(), tableName, "3000", "20000"], undefined, waiterSkewMs);
        },
        holderSkewMs,
      );
      const waited = await waiter!;
      for (const r of [holder, waited]) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(waited.stdout).not.toContain("started"); // it waited, then found nothing pending
      expect(await slowCount(tableName, "overlaps")).toBe(0);
      expect(await slowCount(tableName, "runs")).toBe(1);
      expect((await executedRecords(tableName)).map((i) => i.name)).toEqual(["slow"]);
    };
    await Promise.all([race(-120_000, +120_000), race(+120_000, -120_000)]);
  }, 90_000);

  it("takes the lock from a holder frozen past its lease (SIGSTOP); thawed, the old holder records nothing and stops at its next check", async () => {
    const tableName = await freshTable("frozen");
    let frozen: ChildProcess | undefined;

    let startedB: () => void = () => {};
    const bStarted = new Promise<void>((done) => (startedB = done));

    const a = run(["slow", localEndpoint(), tableName, "3000", "8000"], (line, proc) => {
      if (line === "started") {
        frozen = proc;
        proc.kill("SIGSTOP");
      }
    });
    while (!frozen) await new Promise((done) => setTimeout(done, 50));
    const frozenAt = performance.now();
    const b = run(["slow", localEndpoint(), tableName, "3000", "4000"], (line) => line === "started" && startedB(), -120_000);
    await bStarted;
    const tookOverAfter = performance.now() - frozenAt;
    const stepsWhenThawed = await slowCount(tableName, `steps#${frozen.pid}`);
    frozen.kill("SIGCONT");
    const [old, next] = await Promise.all([a, b]);

    expect(tookOverAfter).toBeGreaterThanOrEqual(3_000); // only after a whole lease without a heartbeat
    expect(next).toMatchObject({ code: 0, stderr: "" });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain("lost the migration lock");
    expect(old.stderr).toContain('"slow" was interrupted and not recorded');
    expect((await slowCount(tableName, `steps#${frozen.pid}`)) - stepsWhenThawed).toBeLessThanOrEqual(1);
    expect(await slowCount(tableName, "runs")).toBe(1);
    expect((await executedRecords(tableName)).map((i) => i.name)).toEqual(["slow"]);
  }, 60_000);

  it("takes over within about one lease after the holder is killed (SIGKILL), whatever the waiter's clock says", async () => {
    const tableName = await freshTable("takeover");
    const leaseMs = 3_000;
    let killedAt = 0;
    const holder = await run(["hold", localEndpoint(), tableName, "3", String(leaseMs)], (line, proc) => {
      if (line === "holding") {
        killedAt = performance.now();
        proc.kill("SIGKILL");
      }
    });
    expect(holder.signal).toBe("SIGKILL");
    const lock = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }));
    expect(lock.Item).toMatchObject({ owner: expect.stringMatching(/:\d+:/), leaseMs });

    for (const skewMs of [-120_000]) {
      const waiter = await run(["up", localEndpoint(), tableName, "3", String(leaseMs)], undefined, skewMs);
      const took = performance.now() - killedAt;
      expect({ code: waiter.code, stderr: waiter.stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(waiter.stdout)).toEqual({ applied: ["m0001", "m0002", "m0003"] });
      expect(took).toBeGreaterThanOrEqual(leaseMs);
      expect(took).toBeLessThan(leaseMs + 6_000); // one lease, plus starting a Node process and polling on a busy machine
    }
    // m0001 wrote once in the killed process and once in the run that recovered; nothing else ran twice.
    expect(await runsOf(documentClient, tableName, "m0001")).toBe(2);
    expect(await runsOf(documentClient, tableName, "m0002")).toBe(1);
    expect(await runsOf(documentClient, tableName, "m0003")).toBe(1);
    expect(
      (await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }))).Item,
    ).toBeUndefined();
  }, 60_000);
});
