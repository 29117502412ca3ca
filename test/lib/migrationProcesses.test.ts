import { spawn } from "node:child_process";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "../../src/lib";
import { migrator } from "../../src/lib/migrations/migrationRunner";
import { bundleForNode } from "../support/bundle";
import { countingMigrations, runsOf } from "../support/countingMigrations";
import { clients, deleteTable, endpoint, uniqueTableName } from "../support/dynamo";

const { client, documentClient } = clients();
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

function run(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      for (const line of chunk.toString().split("\n").filter(Boolean)) onLine?.(line, () => proc.kill("SIGKILL"));
    });
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    proc.on("error", reject);
    proc.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

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

    const runs = await Promise.all(Array.from({ length: 12 }, () => run(["connect", endpoint(), tableName, String(count), startAt])));

    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    for (const { name } of countingMigrations(count)) expect(await runsOf(documentClient, tableName, name)).toBe(1);
    expect((await executedRecords(tableName)).map((item) => item.name).sort()).toEqual(countingMigrations(count).map((m) => m.name));

    // Once nothing is pending, a cold start never loads umzug.
    const warm = await run(["connect", endpoint(), tableName, String(count), "0"]);
    expect(JSON.parse(warm.stdout)).toEqual({ ok: true, umzugLoaded: false });
  });

  it("takes over the lock of a process killed mid-migration once its lease expires, and finishes the work once", async () => {
    const tableName = await freshTable("takeover");
    const leaseMs = 3_000;
    let killedAt = 0;

    const holder = await run(["hold", endpoint(), tableName, "3", String(leaseMs)], (line, kill) => {
      if (line === "holding") {
        killedAt = Date.now();
        kill();
      }
    });
    expect(holder.signal).toBe("SIGKILL");
    const lock = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }));
    // The dead process still holds the lock; its lease normally runs past the kill (unless the machine starved it).
    expect(lock.Item?.owner).toMatch(/:\d+:/);
    expect(Number(lock.Item?.expiresAt)).toBeGreaterThan(killedAt - leaseMs);

    const lines: string[] = [];
    const applied = await migrator({ client, documentClient, tableName, migrations: countingMigrations(3), log: (l) => lines.push(l) }).up();
    const tookOverAt = Date.now();

    expect(applied).toEqual(["m0001", "m0002", "m0003"]);
    expect(tookOverAt).toBeGreaterThanOrEqual(Number(lock.Item?.expiresAt));
    // m0001 wrote once in the killed process and once in the run that recovered; nothing else ran twice.
    expect(await runsOf(documentClient, tableName, "m0001")).toBe(2);
    expect(await runsOf(documentClient, tableName, "m0002")).toBe(1);
    expect(await runsOf(documentClient, tableName, "m0003")).toBe(1);
    expect(
      (await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }))).Item,
    ).toBeUndefined();
  });
});
