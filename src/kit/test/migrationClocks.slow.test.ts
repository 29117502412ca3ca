/**
 * The migration lock across processes whose clocks disagree, frozen and
 * killed: slow by nature (each case waits out whole leases), so in
 * `make test-slow`; the lock's decisions themselves are proved on an injected
 * clock in lease.test.ts and migrationLock.test.ts.
 */
import type { ChildProcess } from "node:child_process";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { localEndpoint } from "../src/testing/tables";
import { runsOf } from "./support/countingMigrations";
import { migrationProcesses, type Run } from "./support/migrationProcesses";

const { documentClient, freshTable, run, slowCount, executedRecords } = migrationProcesses();

describe("the migration lock across processes and clocks", () => {
  it("never runs a migration in two processes at once when their clocks disagree by ±2 minutes (1.5 s lease, 7.5 s migration)", async () => {
    // Both ways round, at once: the holder's clock behind the waiter's, and ahead of it. The waiter starts once the holder is migrating.
    const race = async (holderSkewMs: number, waiterSkewMs: number) => {
      const tableName = await freshTable("skew");
      let waiter: Promise<Run> | undefined;
      const holder = await run(
        ["slow", localEndpoint(), tableName, "1500", "7500"],
        (line) => {
          if (line === "started") waiter = run(["slow", localEndpoint(), tableName, "1500", "7500"], undefined, waiterSkewMs);
        },
        holderSkewMs,
      );
      const waited = await waiter!;
      for (const r of [holder, waited]) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(waited.stdout).not.toContain("started"); // it waited, then found nothing pending
      expect(await slowCount(tableName, "overlaps")).toBe(0);
      expect(await slowCount(tableName, "runs")).toBe(1);
      expect((await executedRecords(tableName)).map((i) => i.name)).toEqual(["slow"]);
    };
    await Promise.all([race(-120_000, +120_000), race(+120_000, -120_000)]);
  }, 90_000);

  it("takes the lock from a holder frozen past its lease (SIGSTOP); thawed, the old holder records nothing and stops at its next check", async () => {
    const tableName = await freshTable("frozen");
    let frozen: ChildProcess | undefined;

    let startedB: () => void = () => {};
    const bStarted = new Promise<void>((done) => (startedB = done));

    const a = run(["slow", localEndpoint(), tableName, "1500", "4000"], (line, proc) => {
      if (line === "started") {
        frozen = proc;
        proc.kill("SIGSTOP");
      }
    });
    while (!frozen) await new Promise((done) => setTimeout(done, 50));
    const frozenAt = performance.now();
    const b = run(["slow", localEndpoint(), tableName, "1500", "2000"], (line) => line === "started" && startedB(), -120_000);
    await bStarted;
    const tookOverAfter = performance.now() - frozenAt;
    const stepsWhenThawed = await slowCount(tableName, `steps#${frozen.pid}`);
    frozen.kill("SIGCONT");
    const [old, next] = await Promise.all([a, b]);

    expect(tookOverAfter).toBeGreaterThanOrEqual(1_500); // only after a whole lease without a heartbeat
    expect(next).toMatchObject({ code: 0, stderr: "" });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain("lost the migration lock");
    expect(old.stderr).toContain('"slow" was interrupted and not recorded');
    expect((await slowCount(tableName, `steps#${frozen.pid}`)) - stepsWhenThawed).toBeLessThanOrEqual(1);
    expect(await slowCount(tableName, "runs")).toBe(1);
    expect((await executedRecords(tableName)).map((i) => i.name)).toEqual(["slow"]);
  }, 60_000);

  it("takes over within about one lease after the holder is killed (SIGKILL), whatever the waiter's clock says", async () => {
    const tableName = await freshTable("takeover");
    const leaseMs = 1_500;
    let killedAt = 0;
    const holder = await run(["hold", localEndpoint(), tableName, "3", String(leaseMs)], (line, proc) => {
      if (line === "holding") {
        killedAt = performance.now();
        proc.kill("SIGKILL");
      }
    });
    expect(holder.signal).toBe("SIGKILL");
    const lock = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }));
    expect(lock.Item).toMatchObject({ owner: expect.stringMatching(/:\d+:/), leaseMs });

    for (const skewMs of [-120_000]) {
      const waiter = await run(["up", localEndpoint(), tableName, "3", String(leaseMs)], undefined, skewMs);
      const took = performance.now() - killedAt;
      expect({ code: waiter.code, stderr: waiter.stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(waiter.stdout)).toEqual({ applied: ["m0001", "m0002", "m0003"] });
      expect(took).toBeGreaterThanOrEqual(leaseMs);
      expect(took).toBeLessThan(leaseMs + 6_000); // one lease, plus starting a Node process and polling on a busy machine
    }
    // m0001 wrote once in the killed process and once in the run that recovered; nothing else ran twice.
    expect(await runsOf(documentClient, tableName, "m0001")).toBe(2);
    expect(await runsOf(documentClient, tableName, "m0002")).toBe(1);
    expect(await runsOf(documentClient, tableName, "m0003")).toBe(1);
    expect(
      (await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "_migrations", sk: "lock" }, ConsistentRead: true }))).Item,
    ).toBeUndefined();
  }, 60_000);
});
