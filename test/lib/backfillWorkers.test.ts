import { spawn, type ChildProcess } from "node:child_process";
import { QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll, ensureTable, MIGRATIONS_PARTITION, sleep } from "../../src/lib";
import { readCheckpoints } from "../../src/lib/tools";
import { bundleForNode } from "../support/bundle";
import { clients, deleteTable, endpoint, uniqueTableName } from "../support/dynamo";

const ITEMS = 20_000;
const PAGE = 200; // the child's page size: what one takeover may redo
const LEASE_MS = 1_500;

const admin = clients();
const tableName = uniqueTableName("backfill-workers");
let child: string;

beforeAll(async () => {
  child = await bundleForNode("migrationChild.ts", "migrationChild-workers");
  await ensureTable({ client: admin.client, tableName });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: ITEMS }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
  );
}, 120_000);
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

interface Run {
  proc: ChildProcess;
  stdout: string;
  exit: Promise<number | null>;
}

/** scripts/migrate.ts in a process of its own, with the child's shared backfill migration. */
function migrate(...args: string[]): Run {
  return migrateOn(tableName, ...args);
}

function migrateOn(table: string, ...args: string[]): Run {
  const proc = spawn(process.execPath, [child, "cli", ...args, "--table", table, "--endpoint", endpoint(), "--claim-lease-ms", String(LEASE_MS)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: Run = { proc, stdout: "", exit: new Promise((resolve) => proc.on("exit", (code) => resolve(code))) };
  proc.stdout!.on("data", (chunk: Buffer) => (run.stdout += chunk));
  proc.stderr!.on("data", (chunk: Buffer) => (run.stdout += chunk));
  return run;
}

/** Every ITEM# item, read consistently. */
async function items(table = tableName): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await admin.documentClient.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        ExclusiveStartKey,
        FilterExpression: "begins_with(pk, :item)",
        ExpressionAttributeValues: { ":item": "ITEM#" },
      }),
    );
    found.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return found.sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
}

/** Waits until `worker` owns a segment it has not finished (it has written a checkpoint of it), so stopping it leaves work behind. */
async function midSegment(worker: Run): Promise<void> {
  for (;;) {
    const checkpoints = await readCheckpoints(admin.documentClient, tableName, "0001-shared-backfill");
    if (checkpoints.some((c) => !c.done && c.owner.includes(`:${worker.proc.pid}:`))) return;
    if (worker.proc.exitCode !== null) throw new Error(`worker ${worker.proc.pid} exited before it was caught mid-segment:\n${worker.stdout}`);
    await sleep(20);
  }
}

describe("a backfill shared by four worker processes", () => {
  it("finishes every segment when one worker is killed and one is frozen; the frozen one writes nothing after thawing; recorded once", async () => {
    const coordinator = migrate("up", "--workers", "0"); // publishes the job and waits: the workers below do all the segments
    const workers = Array.from({ length: 4 }, () => migrate("work"));
    const [killed, frozen] = [workers[0]!, workers[1]!];

    await midSegment(killed);
    killed.proc.kill("SIGKILL");
    await midSegment(frozen);
    frozen.proc.kill("SIGSTOP");

    expect(await coordinator.exit).toBe(0);
    expect(coordinator.stdout).toContain("applied 1 migration(s)");
    const final = await items();

    frozen.proc.kill("SIGCONT"); // its claim was taken over and the job recorded: every write it still tries must be refused
    const frozenExit = await frozen.exit;
    expect(await items()).toEqual(final);
    expect(frozenExit).toBe(0); // it sees the job recorded, and leaves
    expect(await Promise.all([workers[2]!.exit, workers[3]!.exit])).toEqual([0, 0]);

    // Every item written, each once except at most one page per taken-over segment (the killed and the frozen worker's).
    expect(final).toHaveLength(ITEMS);
    expect(final.filter((item) => !(Number(item.writes) >= 1))).toEqual([]);
    const redone = final.reduce((n, item) => n + Number(item.writes) - 1, 0);
    expect(redone).toBeLessThanOrEqual(2 * PAGE);
    const writers = new Set(final.map((item) => item.by));
    expect(writers.size).toBeGreaterThanOrEqual(3);

    // Recorded once; job, checkpoints and claims gone with it.
    const { Items: left = [] } = await admin.documentClient.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": MIGRATIONS_PARTITION },
        ConsistentRead: true,
      }),
    );
    expect(left.map((item) => item.sk)).toEqual(["migration#0001-shared-backfill"]);
    process.stdout.write(`backfill workers: ${ITEMS} items by ${writers.size} workers, ${redone} rewritten after takeovers\n`);
  }, 180_000);

  it("are forked by make migrate WORKERS=n (migrate up --workers 2), and leave when the migration is recorded", async () => {
    const table = uniqueTableName("backfill-forked");
    await ensureTable({ client: admin.client, tableName: table });
    await batchWriteAll(
      { ...admin, tableName: table },
      Array.from({ length: 2_000 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
    );
    try {
      const run = migrateOn(table, "up", "--workers", "2");
      expect(await run.exit).toBe(0);
      expect(run.stdout).toContain("applied 1 migration(s)");
      expect(run.stdout).toMatch(/\[worker 1\] .*joining the backfill of "0001-shared-backfill"/);
      expect(run.stdout).toMatch(/\[worker 2\] .*joining the backfill of "0001-shared-backfill"/);
      expect(run.stdout).not.toContain("exited with");
      const final = await items(table);
      expect(final).toHaveLength(2_000);
      expect(final.filter((item) => item.writes !== 1)).toEqual([]);
      // This process only coordinated: every item was written by one of the two workers.
      expect(final.some((item) => item.by === run.proc.pid)).toBe(false);
    } finally {
      await deleteTable(admin.client, table);
    }
  }, 120_000);
});
