import { batchWriteAll } from "../src/data/batchWrite";
import { ensureTable } from "../src/table/ensureTable";
import { MigrationFailedError } from "../src/errors";
import { type Migration } from "../src/migrations/migration";
import { readCheckpoints } from "../src/data/backfillCheckpoints";
import { migrator } from "../src/migrations/migrationRunner";
import { localClients, deleteTable, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tables: string[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
});

/** A backfill migration over 400 items that fails after `failAfter` transforms while `failing` says so. */
function backfillMigration(name: string, segments: number, state: { failing: boolean; failAfter: number }): Migration {
  return {
    name,
    async up({ context }) {
      let seen = 0;
      await context.backfill({
        segments,
        pageSize: 50,
        transform: (item) => {
          if (state.failing && ++seen > state.failAfter) throw new Error("interrupted");
          return { ...item, migrated: true };
        },
      });
    },
    async down() {},
  };
}

async function interruptedTable(name: string, segments: number) {
  const tableName = uniqueTableName("checkpoints");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: 400 }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
  );
  const state = { failing: true, failAfter: 120 };
  await expect(migrator({ ...admin, tableName, migrations: [backfillMigration(name, segments, state)] }).up()).rejects.toThrow(MigrationFailedError);
  return { tableName, state };
}

describe("backfill checkpoints", () => {
  it("are left by an interrupted backfill, used by the re-run and deleted with the record", async () => {
    const { tableName, state } = await interruptedTable("0001-fill", 2);
    // The failing segment stops the other one before its next page, which may come before its first checkpoint.
    const left = await readCheckpoints(admin.documentClient, tableName);
    expect(left.length).toBeGreaterThanOrEqual(1);
    expect(left.map((c) => [c.migration, c.totalSegments, c.done])).toEqual(left.map(() => ["0001-fill", 2, false]));

    state.failing = false;
    const logged: string[] = [];
    await migrator({ ...admin, tableName, migrations: [backfillMigration("0001-fill", 2, state)], log: (l) => logged.push(l) }).up();
    expect(logged.some((l) => l.includes(`resuming "0001-fill" from ${left.length} checkpoint(s)`))).toBe(true);
    expect(await readCheckpoints(admin.documentClient, tableName)).toEqual([]);
  });

  it("refuse a re-run with another number of segments, changing nothing", async () => {
    const { tableName, state } = await interruptedTable("0001-fill", 2);
    const before = await readCheckpoints(admin.documentClient, tableName);
    state.failing = false;
    const attempt = migrator({ ...admin, tableName, migrations: [backfillMigration("0001-fill", 3, state)] }).up();
    await expect(attempt).rejects.toThrow("has checkpoints for 2 segments, but this run asks for 3. Run it with segments: 2 to resume; nothing was changed.");
    expect(await readCheckpoints(admin.documentClient, tableName)).toEqual(before);
  });

  it("refuse to migrate when the migration that wrote them is no longer in the index (renamed)", async () => {
    const { tableName, state } = await interruptedTable("0001-fill", 2);
    const before = await readCheckpoints(admin.documentClient, tableName);
    state.failing = false;
    const attempt = migrator({ ...admin, tableName, migrations: [backfillMigration("0001-fill-renamed", 2, state)] }).up();
    await expect(attempt).rejects.toThrow('backfill checkpoints of "0001-fill", which the migration index does not name: was it renamed?');
    expect(await readCheckpoints(admin.documentClient, tableName)).toEqual(before);
  });
});
