import { PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { migrations } from "../../src/app/migrations";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { MigrationFailedError } from "@dynamodb-starter/kit/runtime";
import { migrator } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";

const admin = localClients();
const tables: string[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
});

/** A table migrated up to 0004, holding companies keyed the way code before 0005 keyed them: exactly as entered. */
async function tableBefore0005(companies: string[]) {
  const tableName = uniqueTableName("company-keys");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  const m = migrator({ ...admin, tableName, migrations });
  await m.up({ to: "0004-event-data-as-json" });
  for (const name of companies) {
    const put = (Item: Record<string, unknown>) => admin.documentClient.send(new PutCommand({ TableName: tableName, Item }));
    await put({ pk: `COMPANY#${name}`, sk: "PROFILE", entity: "Company", name });
    await put({
      pk: `COMPANY#${name}`,
      sk: "MEMBER#ada@example.com",
      entity: "Membership",
      company: name,
      email: "ada@example.com",
      role: "owner",
      gsi1pk: "USER#ada@example.com",
      gsi1sk: `COMPANY#${name}`,
    });
  }
  return { tableName, m };
}

const companyKeys = async (tableName: string) =>
  ((await admin.documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [])
    .filter((i) => String(i.pk).startsWith("COMPANY#"))
    .map((i) => `${i.pk} ${i.sk}${i.gsi1sk ? ` ${i.gsi1sk}` : ""}`)
    .sort();

describe("migration 0005-company-keys-folded", () => {
  it("moves companies and their memberships to folded keys, and back on down", async () => {
    const { tableName, m } = await tableBefore0005(["Ｇｌｏｂｅｘ", "Initech"]);
    expect(await m.up()).toEqual(["0005-company-keys-folded"]);
    expect(await companyKeys(tableName)).toEqual([
      "COMPANY#globex MEMBER#ada@example.com COMPANY#globex",
      "COMPANY#globex PROFILE",
      "COMPANY#initech MEMBER#ada@example.com COMPANY#initech",
      "COMPANY#initech PROFILE",
    ]);
    const { Items = [] } = await admin.documentClient.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": "COMPANY#globex", ":sk": "PROFILE" },
      }),
    );
    expect(Items[0]?.name).toBe("Ｇｌｏｂｅｘ"); // the name as entered, for display

    await m.down({ to: "0005-company-keys-folded" });
    expect(await companyKeys(tableName)).toEqual([
      "COMPANY#Initech MEMBER#ada@example.com COMPANY#Initech",
      "COMPANY#Initech PROFILE",
      "COMPANY#Ｇｌｏｂｅｘ MEMBER#ada@example.com COMPANY#Ｇｌｏｂｅｘ",
      "COMPANY#Ｇｌｏｂｅｘ PROFILE",
    ]);
  });

  it("refuses to merge companies whose names fold to one key, naming them, and changes nothing", async () => {
    const { tableName, m } = await tableBefore0005(["Acme", "ACME", "Hooli"]);
    const before = await companyKeys(tableName);
    const attempt = m.up();
    await expect(attempt).rejects.toThrow(MigrationFailedError);
    await expect(attempt).rejects.toThrow(/"ACME" and "Acme" -> "acme"|"Acme" and "ACME" -> "acme"/);
    expect(await companyKeys(tableName)).toEqual(before);
    expect((await m.status()).pending).toEqual(["0005-company-keys-folded"]);
  });
});
