import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ConfigError, MigrationFailedError } from "../src/errors";
import { ensureTable } from "../src/table/ensureTable";
import { type Migration } from "../src/migrations/migration";
import { countRequests } from "../src/testing/requestCounter";
import { migrator } from "../src/migrations/migrationRunner";
import { removeGlobalSecondaryIndex } from "../src/migrations";
import { countingMigrations, runsOf } from "./support/countingMigrations";
import { localClients, deleteTable, uniqueTableName, WRITE_OPERATIONS } from "../src/testing/tables";

const { client, documentClient } = localClients();
const tables: string[] = [];
async function freshTable(prefix: string): Promise<string> {
  const tableName = uniqueTableName(prefix);
  tables.push(tableName);
  await ensureTable({ client, tableName });
  return tableName;
}
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(client, t)));
  client.destroy();
});

const lockItem = (tableName: string) =>
  documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }));

describe("migrator", () => {
  it("applies pending migrations once, in index order, and a second run writes nothing", async () => {
    const tableName = await freshTable("mig-up");
    const migrations = countingMigrations(5);
    const order: string[] = [];
    const m = migrator({ client, documentClient, tableName, migrations, log: (line) => order.push(line) });

    expect(await m.up()).toEqual(["m0001", "m0002", "m0003", "m0004", "m0005"]);
    expect(order.filter((line) => line.startsWith("applying "))).toEqual(migrations.map((x) => `applying ${x.name}`));
    for (const { name } of migrations) expect(await runsOf(documentClient, tableName, name)).toBe(1);

    const requests = countRequests(client);
    expect(await m.up()).toEqual([]);
    requests.stop();
    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
    expect((await m.status()).pending).toEqual([]);
    expect((await lockItem(tableName)).Item).toBeUndefined();
  });

  it("lists what would run on a dry run and changes nothing", async () => {
    const tableName = await freshTable("mig-dry");
    const m = migrator({ client, documentClient, tableName, migrations: countingMigrations(3) });

    const requests = countRequests(client);
    expect(await m.up({ dryRun: true })).toEqual(["m0001", "m0002", "m0003"]);
    expect(await m.up({ to: "m0002", dryRun: true })).toEqual(["m0001", "m0002"]);
    requests.stop();

    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
    expect(await runsOf(documentClient, tableName, "m0001")).toBe(0);
    expect((await m.status()).pending).toHaveLength(3);
  });

  it("migrates up to a named migration, then down to one, reverting it and everything after it, newest first", async () => {
    const tableName = await freshTable("mig-down");
    const migrations = countingMigrations(4);
    const m = migrator({ client, documentClient, tableName, migrations });

    expect(await m.up({ to: "m0003" })).toEqual(["m0001", "m0002", "m0003"]);
    expect(await m.down({ to: "m0002", dryRun: true })).toEqual(["m0003", "m0002"]);
    expect(await m.down({ to: "m0002" })).toEqual(["m0003", "m0002"]);

    expect(await m.status()).toEqual({ executed: ["m0001"], pending: ["m0002", "m0003", "m0004"], unknown: [] });
    expect(await runsOf(documentClient, tableName, "m0001")).toBe(1);
    expect(await runsOf(documentClient, tableName, "m0002")).toBe(0);
    expect(await runsOf(documentClient, tableName, "m0003")).toBe(0);
  });

  it("refuses targets that are not pending or not executed, with the lists in the message", async () => {
    const tableName = await freshTable("mig-bad-target");
    const m = migrator({ client, documentClient, tableName, migrations: countingMigrations(2) });
    await expect(m.up({ to: "nope" })).rejects.toThrow(ConfigError);
    await expect(m.down({ to: "m0001" })).rejects.toThrow('cannot migrate down to "m0001": it is not executed (executed: none)');
  });

  it("adds an index with the context's helper (bound to the run's table and log) and removes it with the standalone one", async () => {
    const tableName = await freshTable("mig-index");
    const indexes = async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName);
    const lines: string[] = [];
    const byOwner: Migration = {
      name: "0001-by-owner",
      up: ({ context }) => context.addGlobalSecondaryIndex({ name: "byOwner", partitionKey: { name: "ownerKey", type: "S" } }),
      // The standalone helper of /migrations loads its code when called, for modules written before the context had one.
      down: ({ context: { client, tableName, log, signal } }) => removeGlobalSecondaryIndex({ client, tableName, indexName: "byOwner", log, signal }),
    };
    const m = migrator({ client, documentClient, tableName, migrations: [byOwner], log: (line) => lines.push(line) });

    await m.up();
    expect(await indexes()).toEqual(["byOwner"]);
    expect(lines).toContain(`creating index "byOwner" on table "${tableName}"`);
    await m.down({ to: "0001-by-owner" });
    expect(await indexes()).toBeUndefined();
  });

  it("rejects a migration index with a repeated name", () => {
    const [a] = countingMigrations(1);
    expect(() => migrator({ client, documentClient, tableName: "any", migrations: [a!, a!] })).toThrow('"m0001" appears twice');
  });

  it("stops at a migration that throws: not recorded, lock released, error names it; the fixed migration then runs once", async () => {
    const tableName = await freshTable("mig-fail");
    const [first, second, third] = countingMigrations(3);
    let broken = true;
    const flaky: Migration = {
      ...second!,
      async up(params) {
        await second!.up!(params); // half the work happens, then the failure
        if (broken) throw new Error("disk on fire");
      },
    };
    const m = migrator({ client, documentClient, tableName, migrations: [first!, flaky, third!] });

    const failure = m.up();
    await expect(failure).rejects.toThrow(MigrationFailedError);
    await expect(failure).rejects.toThrow(/migration "m0002" \(up\) failed on table "[^"]+": disk on fire\..*run the migrations again/);
    expect(await m.status()).toMatchObject({ executed: ["m0001"], pending: ["m0002", "m0003"] });
    expect((await lockItem(tableName)).Item).toBeUndefined();

    broken = false;
    expect(await m.up()).toEqual(["m0002", "m0003"]);
    expect(await runsOf(documentClient, tableName, "m0001")).toBe(1);
    // The failed attempt's half-done work plus the successful re-run: why migrations must tolerate re-running.
    expect(await runsOf(documentClient, tableName, "m0002")).toBe(2);
    expect(await runsOf(documentClient, tableName, "m0003")).toBe(1);
  });
});
