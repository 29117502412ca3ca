import { UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { describeTable } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { loadAwsDeployments, type AwsDeployment } from "../src/deployments";
import { isProtected, protectTables } from "../src/aws/protectTables";

const { client } = localClients();
const prod = loadAwsDeployments().get("prod")!;
const dev = loadAwsDeployments().get("dev")!;
const tables: string[] = [];
const like = (d: AwsDeployment): AwsDeployment => {
  const tableName = uniqueTableName(d.name);
  tables.push(tableName);
  return { ...d, tableName };
};
afterAll(async () => {
  for (const TableName of tables) {
    await client.send(new UpdateTableCommand({ TableName, DeletionProtectionEnabled: false })).catch(() => {});
    await deleteTable(client, TableName);
  }
  client.destroy();
});

describe("make bootstrap's table protections (scripts/src/aws/protectTables.ts)", () => {
  it("creates a protected deployment's table and turns its protections on, with the administrator's rights; leaves others alone", async () => {
    const [protectedOne, plain] = [like(prod), like(dev)];
    expect([isProtected(protectedOne), isProtected(plain)]).toEqual([true, false]);
    const lines: string[] = [];
    const reports = await protectTables(
      [protectedOne, plain],
      () => client,
      (l) => lines.push(l),
    );

    expect((await describeTable(client, protectedOne.tableName))?.DeletionProtectionEnabled).toBe(true);
    // DynamoDB Local has no point-in-time recovery: the report says so instead of claiming it on.
    expect(reports.get("prod")?.map((r) => [r.setting, r.status])).toEqual([
      ["point-in-time recovery", "unsupported"],
      ["deletion protection", "updated"],
    ]);
    expect(await describeTable(client, plain.tableName)).toBeUndefined();
    expect(reports.has("dev")).toBe(false);
    expect(lines[0]).toBe(`table "${protectedOne.tableName}" of prod: its protections, with the administrator's rights`);

    // Again: nothing left to do.
    const again = await protectTables(
      [protectedOne],
      () => client,
      () => {},
    );
    expect(again.get("prod")?.find((r) => r.setting === "deletion protection")?.status).toBe("in sync");
  });
});
