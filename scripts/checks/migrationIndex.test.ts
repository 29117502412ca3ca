import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { basename } from "node:path";
import { ensureTable, migrator } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { migrationFiles } from "../src/newMigration";
import { contract, service } from "./service";

const { migrations } = contract.api;
const admin = localClients();
const tableName = uniqueTableName("app-migrations");
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** Everything but the migration bookkeeping. */
async function data(): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await admin.documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.filter((i) => i.pk !== "_migrations");
}

// Reads the service's migrations folder and the index its contract hands over, nothing else of the app.
describe("the app's migrations", () => {
  it("are listed in the index exactly as the files are numbered, each named after its file", () => {
    const files = migrationFiles(service.migrationsDir).map((f) => basename(f, ".ts"));
    expect(migrations.map((m) => m.name)).toEqual(files);
  });

  it("apply on an empty table and revert completely: every down undoes exactly what its up did", async () => {
    await ensureTable({ client: admin.client, tableName });
    const m = migrator({ ...admin, tableName, migrations });
    expect(await m.up()).toEqual(migrations.map((x) => x.name));
    expect(await m.up()).toEqual([]);
    if (migrations.length > 0) await m.down({ to: migrations[0]!.name });
    expect(await data()).toEqual([]);
    expect((await m.status()).executed).toEqual([]);
  });
});
