import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { main } from "../src/pipeline/migrate";
import { FIXTURE } from "./support/functions";
import { ensureTable, migrator, MigrationFailedError } from "@dynamodb-starter/kit/ops";
import { type Migration } from "@dynamodb-starter/kit/runtime";
import { localClients, deleteTable, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("cli");
// Migrations of the test's own: the CLI serves whatever index it is given, the contract's by default.
const marker = (name: string) => ({ pk: "_cli#runs", sk: name });
const migrations: Migration[] = ["m0001", "m0002", "m0003"].map((name) => ({
  name,
  up: async ({ context: { documentClient, tableName } }) => void (await documentClient.send(new PutCommand({ TableName: tableName, Item: marker(name) }))),
  down: async ({ context: { documentClient, tableName } }) => void (await documentClient.send(new DeleteCommand({ TableName: tableName, Key: marker(name) }))),
}));
const first = migrations[0]!.name;

async function cli(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await main([...args, "--table", tableName, "--endpoint", localEndpoint()], (line) => lines.push(line), FIXTURE, migrations);
  return lines;
}

afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("migrate CLI", () => {
  it("dry-runs up without creating the table, then creates it and applies, then reports status", async () => {
    expect(await cli("up", "--dry-run")).toEqual([
      `would create table "${tableName}" at ${localEndpoint()} and apply: ${migrations.map((m) => m.name).join(", ")}`,
    ]);
    await expect(client.send(new DescribeTableCommand({ TableName: tableName }))).rejects.toThrow(
      expect.objectContaining({ name: "ResourceNotFoundException" }),
    );

    const up = await cli("up");
    expect(up.join("\n")).toContain(`creating table "${tableName}"`);
    expect(up.at(-1)).toBe(`applied ${migrations.length} migration(s) to table "${tableName}" at ${localEndpoint()}`);
    expect((await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus).toBe("ACTIVE");

    expect(await cli("up")).toEqual([`nothing pending on table "${tableName}" at ${localEndpoint()}`]);
    const status = await cli("status");
    expect(status).toContain(`  executed  ${first}`);
    expect(status.at(-1)).toBe("lock: free");
  });

  it("reverts with down --to, after a dry run that changes nothing", async () => {
    expect((await cli("down", "--to", first, "--dry-run")).at(-1)).toContain(`would revert on table "${tableName}"`);
    expect(await cli("status")).toContain(`  executed  ${first}`);
    await cli("down", "--to", first);
    expect(await cli("status")).toContain(`  pending   ${first}`);
    await cli("up");
  });

  it("shows and force-releases a lock whose holder died", async () => {
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: "_migrations",
          sk: "lock",
          owner: "dead-host:42:abcd",
          rvn: "v1",
          leaseMs: 600_000,
          acquiredAt: "2026-01-01T00:00:00.000Z",
          heartbeatAt: "2026-01-01T00:01:00.000Z",
        },
      }),
    );
    expect(await cli("status")).toContain(
      "lock: held by dead-host:42:abcd since 2026-01-01T00:00:00.000Z, last heartbeat 2026-01-01T00:01:00.000Z (its clock), lease 600 s",
    );
    expect(await cli("unlock")).toEqual(["released the lock held by dead-host:42:abcd (its migration, if any, was not recorded and will run again)"]);
    const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }));
    expect(Item).toBeUndefined();
  });

  it("explains bad usage", async () => {
    await expect(cli("sideways")).rejects.toThrow('unknown command "sideways"');
    await expect(cli("down")).rejects.toThrow("down needs --to NAME");
    await expect(main(["status"], () => {}, FIXTURE, migrations)).rejects.toThrow("TABLE_NAME is not set");
  });

  it("stops before any request when AWS has no credentials, saying how to provide them", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
      AWS_CONFIG_FILE: "/nonexistent",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    for (const name of ["DYNAMODB_ENDPOINT", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) delete process.env[name];
    try {
      await expect(main(["up", "--table", "app-prod", "--region", "eu-west-1"], () => {}, FIXTURE, migrations)).rejects.toThrow(
        /^no AWS credentials found for region eu-west-1 .*Set AWS_PROFILE/,
      );
    } finally {
      process.env = saved;
    }
  });
});

describe("migrate CLI catch-up", () => {
  const table = uniqueTableName("cli-catch-up");
  const named: Migration = {
    name: "0001-name-to-label",
    backfill: {
      filter: { FilterExpression: "attribute_exists(#name)", ExpressionAttributeNames: { "#name": "name" } },
      transform: ({ name, ...item }) => ({ ...item, label: String(name) }),
    },
    async down() {},
  };
  const run = async (...args: string[]) => {
    const lines: string[] = [];
    await main([...args, "--table", table, "--endpoint", localEndpoint()], (line) => lines.push(line), FIXTURE, [named]);
    return lines;
  };
  const put = (i: number) => documentClient.send(new PutCommand({ TableName: table, Item: { pk: `ITEM#${i}`, sk: "A", name: `item ${i}` } }));
  const labelled = async () =>
    (await documentClient.send(new ScanCommand({ TableName: table, ConsistentRead: true, FilterExpression: "attribute_exists(label)" }))).Count ?? 0;
  afterAll(() => deleteTable(client, table));

  it("up says that the deploy runs the catch-up pass; catch-up rewrites what the previous code wrote since", async () => {
    await ensureTable({ client, tableName: table });
    await Promise.all([0, 1, 2].map(put));
    const up = await run("up");
    expect(up.at(-1)).toMatch(/^0001-name-to-label declare\(s\) a backfill: .*"make deploy" runs it; without a deploy, run "make migrate-catch-up"\.$/);
    await Promise.all([3, 4].map(put)); // the previous code, still live, writes the old shape
    expect(await labelled()).toBe(3);
    const lines = await run("catch-up");
    expect(lines.at(-1)).toMatch(/^catch-up of 0001-name-to-label: scanned \d+, rewrote 2 item\(s\) the previous code wrote \(\d+\.\d s\)$/);
    expect(await labelled()).toBe(5);
  });

  it("takes --only with a declared backfill's name and refuses any other, changing nothing (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.constant(named.name), fc.constant(" 0001-name-to-label")), async (only) => {
        await put(9); // the old shape again: a catch-up that runs rewrites it, a refused one leaves it
        const before = await labelled();
        const attempt = run("catch-up", `--only=${only}`);
        if (only === named.name) {
          expect((await attempt).at(-1)).toMatch(/^catch-up of 0001-name-to-label: scanned \d+, rewrote 1 item\(s\)/);
          expect(await labelled()).toBe(before + 1);
          return;
        }
        await expect(attempt).rejects.toThrow(`no migration in the index declares a backfill named "${only}"`);
        expect(await labelled()).toBe(before);
        await documentClient.send(new DeleteCommand({ TableName: table, Key: { pk: "ITEM#9", sk: "A" } }));
      }),
      { numRuns: 40 },
    );
  });
});

describe("migrate CLI status of an interrupted backfill", () => {
  it("names the unfinished backfill and says that a deploy or make migrate resumes it", async () => {
    const interrupted = uniqueTableName("cli-backfill");
    await ensureTable({ client, tableName: interrupted });
    try {
      await documentClient.send(new PutCommand({ TableName: interrupted, Item: { pk: "ITEM#1", sk: "A" } }));
      const failing: Migration = {
        name: "0001-fill",
        async up({ context }) {
          await context.backfill({
            transform: () => {
              throw new Error("interrupted");
            },
          });
        },
        async down() {},
      };
      await expect(migrator({ client, documentClient, tableName: interrupted, migrations: [failing] }).up()).rejects.toThrow(MigrationFailedError);
      const lines: string[] = [];
      await main(["status", "--table", interrupted, "--endpoint", localEndpoint()], (l) => lines.push(l), FIXTURE, [failing]);
      expect(lines.join("\n")).toMatch(
        /backfill of 0001-fill unfinished: \d\/\d segments done, scanned \d+, written 0; "make deploy" or "make migrate" resumes it/,
      );
    } finally {
      await deleteTable(client, interrupted);
    }
  });
});
