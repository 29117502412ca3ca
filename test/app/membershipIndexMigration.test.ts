import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { migrations } from "../../src/app/migrations";
import { BY_USER_INDEX, keys } from "../../src/app/model";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { migrator } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";

const admin = localClients();
const tables: string[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
});

const byUser = (tableName: string, email: string) =>
  admin.documentClient.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: BY_USER_INDEX,
      KeyConditionExpression: "gsi1pk = :pk",
      ExpressionAttributeValues: { ":pk": keys.userPartition(email) },
    }),
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
          new PutCommand({
            TableName: tableName,
            Item: { ...keys.membership(company, email), _et: "Membership", company, email, role: "member", joinedAt: "2026-01-01T00:00:00.000Z" },
          }),
        );
      }
    }
    await admin.documentClient.send(
      new PutCommand({ TableName: tableName, Item: { ...keys.user("u1@example.com"), _et: "User", email: "u1@example.com", name: "U1" } }),
    );

    expect(await m.up({ to: "0003-backfill-memberships-by-user" })).toEqual(["0002-memberships-by-user-index", "0003-backfill-memberships-by-user"]);
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
