import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureTable } from "../src/table/ensureTable";
import { TableKeySchemaMismatchError } from "../src/errors";
import { countRequests } from "../src/testing/requestCounter";
import { localClients, deleteTable, uniqueTableName, WRITE_OPERATIONS } from "../src/testing/tables";

const { client } = localClients();
const created: string[] = [];
const name = (prefix: string) => {
  const tableName = uniqueTableName(prefix);
  created.push(tableName);
  return tableName;
};
afterAll(async () => {
  await Promise.all(created.map((t) => deleteTable(client, t)));
  client.destroy();
});

/** Makes DescribeTable report CREATING for its first `times` answers, on a real client against DynamoDB Local. */
function reportCreating(target: DynamoDBClient, times: number): void {
  let left = times;
  target.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Table?: { TableStatus?: string } } | undefined;
      if (context.commandName === "DescribeTableCommand" && output?.Table && left > 0) {
        left--;
        output.Table.TableStatus = "CREATING";
      }
      return result;
    },
    { step: "initialize", name: "report-creating" },
  );
}

describe("ensureTable", () => {
  it("creates a missing table with pk/sk string keys, on-demand billing and the given tags, and returns it ACTIVE", async () => {
    const tableName = name("ensure-create");
    const sent: unknown[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "CreateTableCommand") sent.push(args.input);
        return next(args);
      },
      { step: "initialize", name: "capture-create" },
    );
    const result = await ensureTable({ client, tableName, tags: { app: "starter", env: "test" } });
    client.middlewareStack.remove("capture-create");

    expect(result.created).toBe(true);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(Table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ]),
    );
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    // DynamoDB Local keeps no tags (ListTagsOfResource is unsupported there): check the request instead.
    expect(sent).toEqual([
      expect.objectContaining({
        Tags: [
          { Key: "app", Value: "starter" },
          { Key: "env", Value: "test" },
        ],
      }),
    ]);
  });

  it("makes no write call on a second run: one DescribeTable and nothing else", async () => {
    const tableName = name("ensure-idem");
    await ensureTable({ client, tableName });

    const requests = countRequests(client);
    const second = await ensureTable({ client, tableName });
    requests.stop();

    expect(second.created).toBe(false);
    expect(requests.operations).toEqual(["DescribeTable"]);
  });

  it("refuses a table whose key schema differs, naming both schemas, and changes nothing", async () => {
    const tableName = name("ensure-mismatch");
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const before = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;

    const requests = countRequests(client);
    const attempt = ensureTable({ client, tableName, tags: { app: "starter" } });
    await expect(attempt).rejects.toThrow(TableKeySchemaMismatchError);
    await expect(attempt).rejects.toThrow(`table "${tableName}" has key (id HASH); this template expects (pk HASH, sk RANGE)`);
    requests.stop();

    expect(requests.operations.filter((op) => WRITE_OPERATIONS.has(op))).toEqual([]);
    const after = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    expect(after?.KeySchema).toEqual(before?.KeySchema);
    expect(after?.AttributeDefinitions).toEqual(before?.AttributeDefinitions);
  });

  it("polls DescribeTable with backoff until the table is ACTIVE, reporting progress", async () => {
    // DynamoDB Local 3.x creates tables synchronously (ACTIVE at once, even with -delayTransientStatuses),
    // so a real client is made to see CREATING for its first answers.
    const { client: slow } = localClients();
    reportCreating(slow, 4);
    const tableName = name("ensure-wait");
    const lines: string[] = [];

    const requests = countRequests(slow);
    const result = await ensureTable({ client: slow, tableName, log: (line) => lines.push(line) });
    requests.stop();
    slow.destroy();

    expect(result.table.TableStatus).toBe("ACTIVE");
    expect(requests.operations).toEqual(["DescribeTable", "CreateTable", ...Array(5).fill("DescribeTable")]);
    expect(lines[0]).toContain(`creating table "${tableName}"`);
    expect(lines.at(-1)).toContain("is ACTIVE");
  });

  it("waits for a table another process is creating instead of failing on ResourceInUse", async () => {
    const tableName = name("ensure-race");
    const results = await Promise.all(Array.from({ length: 5 }, () => ensureTable({ client, tableName })));

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.table.TableStatus === "ACTIVE")).toBe(true);
  });
});
