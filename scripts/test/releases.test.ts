/** The deployment's record of releases, in its own table (DynamoDB Local), and what `make rollback` makes of it. */
import { ensureTable } from "@dynamodb-starter/kit/ops";
import type { Migration } from "@dynamodb-starter/kit/runtime";
import { deleteTable, localClients, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { markRolledBack, recordRelease, releaseHistory, rollbackPlan, RollbackError } from "../src/pipeline/releases";

const admin = localClients();
const tableName = uniqueTableName("releases");
beforeAll(() => ensureTable({ client: admin.client, tableName }));
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

const m = (name: string, kind?: Migration["kind"]): Migration => ({ name, ...(kind ? { kind } : {}), up: async () => {}, down: async () => {} });

describe("the record of releases", () => {
  it("numbers releases without a clock: ten recorded at once take ten numbers", async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => recordRelease(admin.documentClient, tableName, { versions: { http: String(i) }, migrations: [] })));
    const history = await releaseHistory(admin.documentClient, tableName);
    expect(history.map((r) => r.seq)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(new Set(history.map((r) => r.versions.http)).size).toBe(10);
  });

  it("rolls back to the release before the newest one still live, and only once", async () => {
    const history = await releaseHistory(admin.documentClient, tableName);
    const { from, to } = rollbackPlan(history, [], []);
    expect([from.seq, to.seq]).toEqual([10, 9]);
    await markRolledBack(admin.documentClient, tableName, from);
    await expect(markRolledBack(admin.documentClient, tableName, from)).rejects.toThrow("release 10 was rolled back meanwhile by another run");
    const again = rollbackPlan(await releaseHistory(admin.documentClient, tableName), [], []);
    expect([again.from.seq, again.to.seq]).toEqual([9, 8]);
  });

  it("refuses to go back over a contract, or a migration this code does not know, and lists the expands that stay", () => {
    const history = [
      { seq: 2, versions: { http: "5" }, migrations: ["0001", "0002", "0003"], at: "" },
      { seq: 1, versions: { http: "4" }, migrations: ["0001"], at: "" },
    ];
    const index = [m("0001"), m("0002"), m("0003", "contract")];
    expect(() => rollbackPlan(history, ["0001", "0002", "0003"], index)).toThrow(RollbackError);
    expect(() => rollbackPlan(history, ["0001", "0002", "0003"], index)).toThrow(
      /cannot roll back to release 1 .*: 0003 is a contract, run since that release/,
    );
    expect(() => rollbackPlan(history, ["0001", "0002", "0009"], index)).toThrow(/0009 is not in this code's migration index/);
    expect(rollbackPlan(history, ["0001", "0002"], index).staying).toEqual(["0002"]);
    expect(() => rollbackPlan(history.slice(1), ["0001"], index)).toThrow("is the first on record: there is nothing to roll back to");
    expect(() => rollbackPlan([], [], index)).toThrow("no release on record");
  });
});
