/**
 * The deploy sequence over a fake ship, against DynamoDB Local: expand migrations before the new code takes traffic,
 * contracts (and whatever follows them) only after it took all of it and the previous release drained, then the
 * catch-up over every backfill the deploy applied.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { migrator } from "@dynamodb-starter/kit/ops";
import type { Migration } from "@dynamodb-starter/kit/runtime";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { createClient } from "@dynamodb-starter/kit/runtime";
import { tmpdir } from "node:os";
import { runDeploy, type Ship } from "../src/pipeline/pipeline";
import { FIXTURE } from "./support/functions";

const admin = localClients();
afterAll(() => admin.client.destroy());

const step = (name: string, kind?: Migration["kind"]): Migration => ({
  name,
  ...(kind ? { kind } : {}),
  up: async ({ context: { documentClient, tableName } }) =>
    void (await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: "_test", sk: name } }))),
  down: async () => {},
});

async function deploy(migrations: Migration[]) {
  const tableName = uniqueTableName("pipeline");
  const lines: string[] = [];
  const executedAtShip: string[][] = [];
  const ship: Ship = {
    preflight: async () => {},
    build: { dir: tmpdir(), zip: false },
    connect: async () => createClient({ region: "local", endpoint: localEndpoint() }),
    ship: async () => {
      executedAtShip.push((await migrator({ ...admin, tableName, migrations }).status()).executed);
      lines.push("shipped");
      return { http: "v1" };
    },
    drainSeconds: 0,
    backfills: {
      distributedAboveItems: Number.MAX_SAFE_INTEGER,
      machine: () => ({ name: "none", prepare: async () => false, start: async () => Promise.reject(new Error("not here")) }),
    },
  };
  try {
    const result = await runDeploy({ project: FIXTURE, tableName, settings: {}, functions: [], migrations }, ship, (line) => lines.push(line));
    return { result, lines, executedAtShip: executedAtShip[0], executed: (await migrator({ ...admin, tableName, migrations }).status()).executed };
  } finally {
    await deleteTable(admin.client, tableName);
  }
}

describe("a deploy's migrations around the shift", () => {
  it("applies the expands before shipping, and a contract and everything after it once shipped", async () => {
    const { result, lines, executedAtShip, executed } = await deploy([
      step("0001-add"),
      step("0002-also-add"),
      step("0003-drop-old", "contract"),
      step("0004-add-after"),
    ]);
    expect(executedAtShip).toEqual(["0001-add", "0002-also-add"]);
    expect(executed).toEqual(["0001-add", "0002-also-add", "0003-drop-old", "0004-add-after"]);
    expect(result.applied).toEqual(executed);
    const shipped = lines.indexOf("shipped");
    const contracts = lines.findIndex((l) => l.startsWith("contract migrations, the previous release gone: 0003-drop-old, 0004-add-after"));
    expect(shipped).toBeGreaterThan(0);
    expect(contracts).toBeGreaterThan(shipped);
  });

  it("ships first when the first pending migration is a contract, and applies all before shipping when none is", async () => {
    expect((await deploy([step("0001-drop", "contract"), step("0002-add")])).executedAtShip).toEqual([]);
    expect((await deploy([step("0001-add"), step("0002-add-more")])).executedAtShip).toEqual(["0001-add", "0002-add-more"]);
  });

  it("refuses a migration of another kind, applying none", async () => {
    const odd = { ...step("0001-odd"), kind: "shrink" as unknown as Migration["kind"] };
    await expect(deploy([odd])).rejects.toThrow('migration "0001-odd" has kind "shrink": a migration is an "expand" (the default) or a "contract"');
  });
});
