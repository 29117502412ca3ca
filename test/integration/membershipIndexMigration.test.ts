import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { startLocalDynamo } from "../../scripts/localDynamo";
import { ensureTable } from "../../src/db/ensureTable";
import { addGlobalSecondaryIndex } from "../../src/db/globalSecondaryIndex";
import { migrator } from "../../src/db/migrationRunner";
import { BY_USER_INDEX, keys } from "../../src/model";
import { migrations } from "../../src/migrations";
import { clients, deleteTable, uniqueTableName } from "../support/dynamo";

const admin = clients();
const tables: string[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
});

const byUser = (tableName: string, email: string) =>
  admin.documentClient.send(
    new QueryCommand({ TableName: tableName, IndexName: BY_USER_INDEX, KeyConditionExpression: "gsi1pk = :pk", ExpressionAttributeValues: { ":pk": keys.userPartition(email) } }),
  );

describe("migrations 0002 and 0003 on a table that already holds memberships", () => {
  it("adds the byUser index and backfills every older membership into it; down undoes both", async () => {
    const tableName = uniqueTableName("gsi-backfill");
    tables.push(tableName);
    await ensureTable({ client: admin.client, tableName });
    const lines: string[] = [];
    const m = migrator({ ...admin, tableName, migrations, log: (line) => lines.push(line) });
    await m.up({ to: "0001-app-settings" });

    // Written the way code before 0002 wrote them: no gsi1pk/gsi1sk. 3 users x 40 companies = 120 memberships.
    const users = ["u1@example.com", "u2@example.com", "u3@example.com"];
    for (let c = 0; c < 40; c++) {
      for (const email of users) {
        const company = `Company ${String(c).padStart(2, "0")}`;
        await admin.documentClient.send(
          new PutCommand({ TableName: tableName, Item: { ...keys.membership(company, email), _et: "Membership", company, email, role: "member", joinedAt: "2026-01-01T00:00:00.000Z" } }),
        );
      }
    }
    await admin.documentClient.send(new PutCommand({ TableName: tableName, Item: { ...keys.user("u1@example.com"), _et: "User", email: "u1@example.com", name: "U1" } }));

    expect(await m.up()).toEqual(["0002-memberships-by-user-index", "0003-backfill-memberships-by-user"]);
    for (const email of users) {
      const { Items = [] } = await byUser(tableName, email);
      expect(Items).toHaveLength(40);
      expect(Items.every((i) => i.gsi1sk.startsWith("COMPANY#Company "))).toBe(true);
    }
    expect(lines.find((l) => l.startsWith("backfill "))).toMatch(/scanned \d+, written 120 \(\d+ items\/s\), done/);

    await m.down({ to: "0002-memberships-by-user-index" });
    const { Table } = await admin.client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes ?? []).toEqual([]);
    const { Items = [] } = await admin.documentClient.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": keys.companyPartition("Company 00") } }),
    );
    expect(Items.filter((i) => "gsi1pk" in i)).toEqual([]);
  });
});

describe("addGlobalSecondaryIndex", () => {
  it("survives an interrupted run: re-running waits through CREATING and backfilling until ACTIVE, reporting progress", async () => {
    // DynamoDB Local holds new indexes in CREATING, then backfilling, only with -delayTransientStatuses.
    const slow = await startLocalDynamo({ delayTransientStatuses: true });
    const { client } = clients(slow.endpoint);
    try {
      await ensureTable({ client, tableName: "delayed" });
      const lines: string[] = [];
      const index = { name: BY_USER_INDEX, partitionKey: { name: "gsi1pk", type: "S" as const }, sortKey: { name: "gsi1sk", type: "S" as const } };
      const started = Date.now();
      // The first run is cut short while the index is still CREATING, as a pre-step killed or timed out would be.
      await expect(addGlobalSecondaryIndex({ client, tableName: "delayed", index, timeoutMs: 2_000 })).rejects.toThrow(/timed out .* index "byUser" .*CREATING/);
      await addGlobalSecondaryIndex({ client, tableName: "delayed", index, log: (l) => lines.push(l) });

      const { Table } = await client.send(new DescribeTableCommand({ TableName: "delayed" }));
      expect(Table?.GlobalSecondaryIndexes?.[0]).toMatchObject({ IndexName: BY_USER_INDEX, IndexStatus: "ACTIVE" });
      expect(Table?.GlobalSecondaryIndexes?.[0]?.Backfilling).toBeFalsy();
      expect(Date.now() - started).toBeGreaterThan(5_000);
      expect(lines.some((l) => /waiting for index "byUser" to become ACTIVE: CREATING/.test(l))).toBe(true);
      expect(lines.some((l) => l.startsWith("creating index"))).toBe(false); // the re-run found the index and only waited
      expect(lines.at(-1)).toBe('index "byUser" is ACTIVE');

      const again = Date.now();
      await addGlobalSecondaryIndex({ client, tableName: "delayed", index });
      expect(Date.now() - again).toBeLessThan(2_000);
    } finally {
      client.destroy();
      await slow.stop();
    }
  }, 120_000);
});
