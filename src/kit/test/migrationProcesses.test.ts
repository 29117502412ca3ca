import { localEndpoint } from "../src/testing/tables";
import { countingMigrations, runsOf } from "./support/countingMigrations";
import { migrationProcesses } from "./support/migrationProcesses";

const { documentClient, freshTable, run, executedRecords } = migrationProcesses();

describe("migrations across processes", () => {
  it("runs each migration exactly once when 12 cold starts race connect() on a fresh table", async () => {
    const tableName = await freshTable("race");
    const count = 5;
    const startAt = String(Date.now() + 3_000);

    const runs = await Promise.all(Array.from({ length: 12 }, () => run(["connect", localEndpoint(), tableName, String(count), startAt])));

    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    for (const { name } of countingMigrations(count)) expect(await runsOf(documentClient, tableName, name)).toBe(1);
    expect((await executedRecords(tableName)).map((item) => item.name).sort()).toEqual(countingMigrations(count).map((m) => m.name));

    // Once nothing is pending, a cold start never loads umzug.
    const warm = await run(["connect", localEndpoint(), tableName, String(count), "0"]);
    expect(JSON.parse(warm.stdout)).toEqual({ ok: true, umzugLoaded: false });
  });
});
