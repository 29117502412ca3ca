import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createClient, createDocumentClient } from "../src/runtime/clients";
import { dynamoMigrationStorage } from "../src/migrations/migrationStorage";
import { ensureTable } from "../src/table/ensureTable";
import { LOCAL_REGION } from "../src/runtime/config";
import { countRequests } from "../src/testing/requestCounter";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../src/testing/tables";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("storage");
const context = { context: undefined };
const params = (name: string) => ({ name, context: undefined });

beforeAll(() => ensureTable({ client, tableName }));
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("dynamoMigrationStorage", () => {
  it("logs, lists across several pages, and unlogs migrations, one item each with executedAt", async () => {
    const storage = dynamoMigrationStorage({ documentClient, tableName, pageSize: 10 });
    const names = Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, "0")}`);
    for (const name of names) await storage.logMigration(params(name));

    const requests = countRequests(client);
    expect((await storage.executed(context)).sort()).toEqual(names);
    requests.stop();
    // 25 items at 10 a page: 3 full or partial pages, plus the empty page DynamoDB may return after an exact fit.
    expect(requests.operations.filter((op) => op === "Query").length).toBeGreaterThanOrEqual(3);

    const { Items } = await documentClient.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND sk = :sk",
        ExpressionAttributeValues: { ":pk": "_migrations", ":sk": "migration#page-07" },
        ConsistentRead: true,
      }),
    );
    expect(Items).toHaveLength(1);
    expect(Items?.[0]?.name).toBe("page-07");
    expect(new Date(String(Items?.[0]?.executedAt)).getTime()).toBeGreaterThan(Date.now() - 60_000);

    await storage.unlogMigration(params("page-07"));
    expect(await storage.executed(context)).not.toContain("page-07");
    expect(await storage.executed(context)).toHaveLength(24);
  });

  it("refuses to log the same migration twice, since that means it ran twice", async () => {
    const storage = dynamoMigrationStorage({ documentClient, tableName });
    await storage.logMigration(params("once"));
    await expect(storage.logMigration(params("once"))).rejects.toThrow('migration "once" is already recorded as executed');
  });

  it("reports a failed read as an error, never as 'no migrations' or a partial list", async () => {
    const missing = dynamoMigrationStorage({ documentClient, tableName: uniqueTableName("storage-missing") });
    await expect(missing.executed(context)).rejects.toThrow(expect.objectContaining({ name: "ResourceNotFoundException" }));

    // A transient failure on the second page, on a real client with retries off.
    const flaky = createClient({ region: LOCAL_REGION, endpoint: localEndpoint(), maxAttempts: 1 });
    let queries = 0;
    flaky.middlewareStack.add(
      (next) => async (args) => {
        if (++queries === 2) throw Object.assign(new Error("injected: service unavailable"), { name: "InternalServerError" });
        return next(args);
      },
      { step: "initialize", name: "fail-second-page" },
    );
    const storage = dynamoMigrationStorage({ documentClient: createDocumentClient(flaky), tableName, pageSize: 5 });
    await expect(storage.executed(context)).rejects.toThrow("injected: service unavailable");
    flaky.destroy();
  });

  it("does not list the lock item that shares its partition", async () => {
    const storage = dynamoMigrationStorage({ documentClient, tableName });
    const before = await storage.executed(context);
    await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: "_migrations", sk: "lock", owner: "x", expiresAt: 0 } }));
    expect(await storage.executed(context)).toEqual(before);
  });
});
