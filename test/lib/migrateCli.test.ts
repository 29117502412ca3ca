import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { countOption, main } from "../../scripts/migrate";
import { countingMigrations } from "../support/countingMigrations";
import { clients, deleteTable, endpoint, uniqueTableName } from "../support/dynamo";

const { client, documentClient } = clients();
const tableName = uniqueTableName("cli");
// Migrations of the test's own: the CLI serves whatever index it is given, the app's by default.
const migrations = countingMigrations(3);
const first = migrations[0]!.name;

async function cli(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await main([...args, "--table", tableName, "--endpoint", endpoint()], (line) => lines.push(line), migrations);
  return lines;
}

afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("migrate CLI", () => {
  it("dry-runs up without creating the table, then creates it and applies, then reports status", async () => {
    expect(await cli("up", "--dry-run")).toEqual([`would create table "${tableName}" at ${endpoint()} and apply: ${migrations.map((m) => m.name).join(", ")}`]);
    await expect(client.send(new DescribeTableCommand({ TableName: tableName }))).rejects.toThrow(
      expect.objectContaining({ name: "ResourceNotFoundException" }),
    );

    const up = await cli("up");
    expect(up.join("\n")).toContain(`creating table "${tableName}"`);
    expect(up.at(-1)).toBe(`applied ${migrations.length} migration(s) to table "${tableName}" at ${endpoint()}`);
    expect((await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus).toBe("ACTIVE");

    expect(await cli("up")).toEqual([`nothing pending on table "${tableName}" at ${endpoint()}`]);
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
    await expect(main(["status"], () => {}, migrations)).rejects.toThrow("TABLE_NAME is not set");
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
      await expect(main(["up", "--table", "app-prod", "--region", "eu-west-1"], () => {}, migrations)).rejects.toThrow(
        /^no AWS credentials found for region eu-west-1 .*Set AWS_PROFILE/,
      );
    } finally {
      process.env = saved;
    }
  });
});

describe("migrate CLI count options (--workers, --parallel, --claim-lease-ms)", () => {
  it("take exactly a whole number in range, and refuse anything else before touching the table", async () => {
    expect(countOption(undefined, "workers", 0, 64)).toBeUndefined();
    expect(countOption("8", "workers", 0, 64)).toBe(8);
    expect(countOption("0", "workers", 0, 64)).toBe(0);
    for (const bad of ["", " 8", "8 ", "0x8", "8e0", "1.5", "-1", "65", "eight", "+8"]) {
      expect(() => countOption(bad, "workers", 0, 64)).toThrow(`--workers takes a whole number from 0 to 64, not "${bad}"`);
    }
    await expect(cli("up", "--parallel", "0")).rejects.toThrow('--parallel takes a whole number from 1 to 64, not "0"');
  });

  it("either return the number the string spells or refuse it (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -10, max: 100 }).map(String)), (value) => {
        let result: number | undefined;
        try {
          result = countOption(value, "workers", 0, 64);
        } catch (error) {
          expect((error as Error).message).toBe(`--workers takes a whole number from 0 to 64, not "${value}"`);
          return;
        }
        expect(String(result)).toBe(value.replace(/^0+(?=\d)/, "")); // accepted: exactly what was written (leading zeros aside)
        expect(result).toBeGreaterThanOrEqual(0);
        expect(result).toBeLessThanOrEqual(64);
      }),
      { numRuns: 1_000 },
    );
  });
});
