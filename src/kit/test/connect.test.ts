import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConfigError, PendingMigrationsError, TableKeySchemaMismatchError, TableNotFoundError } from "../src/errors";
import { connect } from "../src/runtime/connect";
import { ensureTable } from "../src/table/ensureTable";
import { LOCAL_REGION } from "../src/runtime/config";
import { type Migration } from "../src/migrations/migration";
import { countRequests } from "../src/testing/requestCounter";
import { countingMigrations, runsOf } from "./support/countingMigrations";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tables: string[] = [];
const ownClients: DynamoDBClient[] = [];
const quiet = () => {};
const none: Migration[] = [];

/** A client of the test's own, so connect()'s cache starts empty for it. */
function freshClient(): DynamoDBClient {
  const { client } = localClients();
  ownClients.push(client);
  return client;
}
async function freshTable(prefix: string, create = true): Promise<string> {
  const tableName = uniqueTableName(prefix);
  tables.push(tableName);
  if (create) await ensureTable({ client: admin.client, tableName });
  return tableName;
}
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  [admin.client, ...ownClients].forEach((c) => c.destroy());
});

describe("connect()", () => {
  it("sends exactly one Query, and no DescribeTable, on a cold call with nothing pending", async () => {
    const tableName = await freshTable("connect-cold");
    const migrations = countingMigrations(3);
    await connect({ tableName, client: freshClient(), migrations, log: quiet }); // applies them

    const client = freshClient();
    const requests = countRequests(client);
    const connection = await connect({ tableName, client, migrations, onPending: "fail", log: quiet });

    expect(requests.operations).toEqual(["Query"]);
    expect(connection).toMatchObject({ client, tableName });
    expect(connection.documentClient).toBeDefined();
  });

  it("sends zero requests on a warm call and returns the same connection", async () => {
    const tableName = await freshTable("connect-warm");
    const client = freshClient();
    const first = await connect({ tableName, client, log: quiet, migrations: none });

    const requests = countRequests(client);
    const again = await Promise.all(Array.from({ length: 100 }, () => connect({ tableName, client, log: quiet, migrations: none })));
    expect(requests.operations).toEqual([]);
    expect(again.every((c) => c === first)).toBe(true);
  });

  it("refuses a second call for the same table with other migrations or another onPending, instead of ignoring them", async () => {
    const tableName = await freshTable("connect-options");
    const client = freshClient();
    const migrations = countingMigrations(1);
    await connect({ tableName, client, log: quiet, migrations, onPending: "apply" });
    await expect(connect({ tableName, client, log: quiet, migrations: none, onPending: "apply" })).rejects.toThrow(
      `connect() already serves table "${tableName}" in this process with other migrations or another onPending`,
    );
    await expect(connect({ tableName, client, log: quiet, migrations, onPending: "fail" })).rejects.toThrow(ConfigError);
    // The same options, even in a new array: the same connection.
    expect(await connect({ tableName, client, log: quiet, migrations: [...migrations], onPending: "apply" })).toMatchObject({ tableName });
  });

  it("shares one run between concurrent first calls: checks once, applies each pending migration once", async () => {
    const tableName = await freshTable("connect-share");
    const client = freshClient();
    const migrations = countingMigrations(3);
    const requests = countRequests(client);

    const results = await Promise.all(Array.from({ length: 20 }, () => connect({ tableName, client, migrations, log: quiet })));

    expect(new Set(results).size).toBe(1);
    expect(requests.operations.filter((op) => op === "DescribeTable")).toHaveLength(0);
    for (const { name } of migrations) expect(await runsOf(admin.documentClient, tableName, name)).toBe(1);
  });

  it("does not cache a failure: the call after the table appears succeeds", async () => {
    const tableName = await freshTable("connect-retry", false);
    const client = freshClient();

    await expect(connect({ tableName, client, log: quiet, migrations: none })).rejects.toThrow(TableNotFoundError);
    await expect(connect({ tableName, client, log: quiet, migrations: none })).rejects.toThrow(`table "${tableName}" does not exist`);
    await ensureTable({ client: admin.client, tableName });
    await expect(connect({ tableName, client, log: quiet, migrations: none })).resolves.toMatchObject({ tableName });
  });

  it("with onPending 'fail', names the pending migrations and the command that applies them, and applies nothing", async () => {
    const tableName = await freshTable("connect-pending");
    const migrations = countingMigrations(2);

    const attempt = connect({ tableName, client: freshClient(), migrations, onPending: "fail", log: quiet });
    await expect(attempt).rejects.toThrow(PendingMigrationsError);
    await expect(attempt).rejects.toThrow(`table "${tableName}" has 2 pending migration(s): m0001, m0002.`);
    await expect(attempt).rejects.toThrow("apply them with the pre-step");
    expect(await runsOf(admin.documentClient, tableName, "m0001")).toBe(0);
  });

  it("with onPending 'fail', serves before its contracts run (they run once the release takes all traffic), never before its expands", async () => {
    const tableName = await freshTable("connect-contract");
    const [first, second, third] = countingMigrations(3);
    const migrations: Migration[] = [first!, { ...second!, kind: "contract" }, third!];
    const lines: string[] = [];
    await connect({ tableName, client: freshClient(), migrations: [first!], log: quiet }); // the expand, applied by the pre-step

    const connection = await connect({ tableName, client: freshClient(), migrations, onPending: "fail", log: (line) => lines.push(line) });
    expect(connection.tableName).toBe(tableName);
    expect(lines).toEqual([`table "${tableName}": m0002, m0003 will run once this release takes all traffic (m0002 is a contract)`]);
    expect(await runsOf(admin.documentClient, tableName, "m0002")).toBe(0);
    // An expand still pending, before the contract: not ready.
    const other = await freshTable("connect-expand-first");
    await expect(connect({ tableName: other, client: freshClient(), migrations, onPending: "fail", log: quiet })).rejects.toThrow(PendingMigrationsError);
  });

  it("fails inside Lambda by default instead of migrating with the function's role", async () => {
    const tableName = await freshTable("connect-lambda");
    process.env.AWS_LAMBDA_FUNCTION_NAME = "api";
    try {
      await expect(connect({ tableName, client: freshClient(), migrations: countingMigrations(1), log: quiet })).rejects.toThrow(PendingMigrationsError);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  });

  // Every shape the single Query could meet: DescribeTable is asked only after it fails, and names the problem.
  it.each([
    ["(id HASH)", [["id", "HASH", "S"]], "(id HASH)"],
    ["(pk HASH) without a sort key", [["pk", "HASH", "S"]], "(pk HASH)"],
    [
      "(sk HASH, pk RANGE), keys swapped",
      [
        ["sk", "HASH", "S"],
        ["pk", "RANGE", "S"],
      ],
      "(sk HASH, pk RANGE)",
    ],
    [
      "(pk HASH number, sk RANGE)",
      [
        ["pk", "HASH", "N"],
        ["sk", "RANGE", "S"],
      ],
      "(pk HASH number, sk RANGE)",
    ],
    [
      "(pk HASH, sk RANGE binary)",
      [
        ["pk", "HASH", "S"],
        ["sk", "RANGE", "B"],
      ],
      "(pk HASH, sk RANGE binary)",
    ],
  ] as const)("refuses a table keyed %s, naming its key", async (_shape, keys, described) => {
    const tableName = await freshTable("connect-schema", false);
    await admin.client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: keys.map(([AttributeName, , AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: keys.map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })),
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const attempt = connect({ tableName, client: freshClient(), log: quiet, migrations: none });
    await expect(attempt).rejects.toThrow(TableKeySchemaMismatchError);
    await expect(attempt).rejects.toThrow(`has key ${described}; this template expects (pk HASH, sk RANGE), both strings`);
  });

  it("reads TABLE_NAME and DYNAMODB_ENDPOINT from the environment, and says which is missing", async () => {
    const tableName = await freshTable("connect-env");
    await expect(connect({ endpoint: localEndpoint(), region: LOCAL_REGION, migrations: none })).rejects.toThrow(ConfigError);
    await expect(connect({ endpoint: localEndpoint(), migrations: none })).rejects.toThrow("TABLE_NAME is not set");
    await expect(connect({ tableName, endpoint: localEndpoint(), log: quiet, migrations: none })).resolves.toMatchObject({ tableName });
  });
});
