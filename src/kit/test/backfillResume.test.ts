import { spawn } from "node:child_process";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll } from "../src/data/batchWrite";
import { ensureTable } from "../src/table/ensureTable";
import { readCheckpoints } from "../src/data/backfillCheckpoints";
import { bundleForNode } from "./support/bundle";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../src/testing/tables";

// Small pages prove the bound as well as large ones: what matters is pages, not items.
const ITEMS = 400;
const SEGMENTS = 4;
const PAGE = 20;

const admin = localClients();
const tableName = uniqueTableName("backfill-resume");
let child: string;

beforeAll(async () => {
  child = await bundleForNode("migrationChild.ts", "migrationChild-backfill");
  await ensureTable({ client: admin.client, tableName });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: ITEMS }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A", n: i } } })),
  );
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** Runs the backfill migration in a child; `killAt` SIGKILLs it once a progress line reports that many items scanned. */
function runBackfill(killAt?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, "backfill", localEndpoint(), tableName, String(SEGMENTS), String(PAGE)], {
      stdio: ["ignore", "pipe", "pipe"],
      // The child stops dead once it reports `killAt`, so the kill lands halfway even on a busy machine.
      env: { ...process.env, ...(killAt === undefined ? {} : { BLOCK_AT_SCANNED: String(killAt) }) },
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      const scanned = [...stdout.matchAll(/scanned (\d+)/g)].map((m) => Number(m[1])).at(-1) ?? 0;
      if (killAt !== undefined && scanned >= killAt) proc.kill("SIGKILL");
    });
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    proc.on("error", reject);
    proc.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** ITEM# items, all of them or only the migrated ones, counted consistently. */
async function count(migrated = false): Promise<number> {
  let total = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await admin.documentClient.send(
      new ScanCommand({
        TableName: tableName,
        Select: "COUNT",
        ConsistentRead: true,
        ExclusiveStartKey,
        FilterExpression: `begins_with(pk, :item)${migrated ? " AND #migrated = :one" : ""}`,
        ExpressionAttributeValues: { ":item": "ITEM#", ...(migrated ? { ":one": 1 } : {}) },
        ...(migrated ? { ExpressionAttributeNames: { "#migrated": "migrated" } } : {}),
      }),
    );
    total += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return total;
}

describe("a backfill killed halfway", () => {
  it(`resumes every segment from its checkpoint: ${ITEMS} items, each migrated once, at most one page per segment redone`, async () => {
    const killed = await runBackfill(ITEMS / 2);
    expect(killed.signal).toBe("SIGKILL");
    const checkpoints = await readCheckpoints(admin.documentClient, tableName, "backfill-items");
    expect(checkpoints.map((c) => c.segment)).toEqual([0, 1, 2, 3]);
    const before = await count(true);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(ITEMS);

    const resumed = await runBackfill();
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: "" });
    expect(resumed.stdout).toContain('resuming "backfill-items" from 4 checkpoint(s)');
    const { again } = JSON.parse(resumed.stdout.trim().split("\n").at(-1)!) as { again: number };
    expect(again).toBeLessThanOrEqual(SEGMENTS * PAGE); // items the killed run had written after its last checkpoint
    expect(await count(true)).toBe(ITEMS);
    expect(await count()).toBe(ITEMS);
    expect(await readCheckpoints(admin.documentClient, tableName)).toEqual([]); // deleted with the migration's record
    process.stdout.write(`backfill resume: killed with ${before} of ${ITEMS} migrated; the resumed run met ${again} already migrated\n`);
  }, 120_000);
});
