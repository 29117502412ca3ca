/**
 * A separate Node process for the multi-process tests, run as
 *   node migrationChild.js connect <endpoint> <table> <count> <startAtMs>
 *   node migrationChild.js hold    <endpoint> <table> <count> <leaseMs>
 *   node migrationChild.js up      <endpoint> <table> <count> <leaseMs>
 *   node migrationChild.js slow    <endpoint> <table> <leaseMs> <workMs>
 *   node migrationChild.js backfill <endpoint> <table> <segments> <pageSize>
 * "connect" waits until startAtMs (so many processes start together), calls
 * connect(), and prints {"ok":true,"umzugLoaded":...}. "hold" starts the
 * migrations with the first one hanging after its write, prints "holding",
 * and waits to be killed.
 */
import { writeSync } from "node:fs";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { connect } from "../../src/runtime/connect";
import { createClient, createDocumentClient } from "../../src/runtime/clients";
import { LOCAL_REGION } from "../../src/runtime/config";
import { type Migration } from "../../src/migrations/migration";
import { countingMigrations } from "./countingMigrations";

/** Where "slow" counts: items active, overlaps, runs and steps#<pid>, each with a number n. */
const SLOW_PARTITION = "_test#slow";

async function main(): Promise<void> {
  const [mode, endpoint, tableName, count, extra] = process.argv.slice(2);
  if (!endpoint || !tableName || !count || !extra) throw new Error("usage: migrationChild.js connect|hold|up|slow <endpoint> <table> <n> <n>");
  const migrations = countingMigrations(Number(count), { workMs: 20 });

  if (mode === "connect") {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(extra) - Date.now())));
    await connect({ tableName, endpoint, migrations, onPending: "apply", log: () => {} });
    const umzugLoaded = Object.keys(require.cache).some((path) => path.includes("/node_modules/umzug/"));
    process.stdout.write(`${JSON.stringify({ ok: true, umzugLoaded })}\n`);
    return;
  }

  if (mode === "hold") {
    const first = migrations[0]!;
    migrations[0] = {
      ...first,
      async up(params) {
        await first.up!(params);
        process.stdout.write("holding\n");
        await new Promise(() => {}); // never finishes: the test kills us here, mid-migration
      },
    };
    // Imported here so that "connect" mode loads only what connect() itself loads.
    const { migrator } = await import("../../src/migrations/migrationRunner");
    const client = createClient({ region: LOCAL_REGION, endpoint });
    await migrator({ client, documentClient: createDocumentClient(client), tableName, migrations, lock: { leaseMs: Number(extra) } }).up();
    return;
  }
  if (mode === "up") {
    const { migrator } = await import("../../src/migrations/migrationRunner");
    const client = createClient({ region: LOCAL_REGION, endpoint });
    const applied = await migrator({ client, documentClient: createDocumentClient(client), tableName, migrations, lock: { leaseMs: Number(extra) } }).up();
    process.stdout.write(`${JSON.stringify({ applied })}\n`);
    return;
  }

  if (mode === "backfill") {
    // One migration that backfills every ITEM# item to { migrated: 1 }, printing progress lines and, at the end,
    // how many items it met already migrated (a resumed run redoes at most one page per segment).
    const [segments, pageSize] = [Number(count), Number(extra)];
    const { migrator } = await import("../../src/migrations/migrationRunner");
    const client = createClient({ region: LOCAL_REGION, endpoint });
    let again = 0;
    const migration: Migration = {
      name: "backfill-items",
      async up({ context }) {
        const filter = { FilterExpression: "begins_with(pk, :item)", ExpressionAttributeValues: { ":item": "ITEM#" } };
        let seen = 0;
        const transform = (item: Record<string, unknown>) => {
          if (++seen % 50 === 0) {
            writeSync(1, `scanned ${seen}\n`); // the test kills us once enough went by...
            // ...and, however busy the machine, finds us still there: the whole process waits (a minute at most).
            if (seen === Number(process.env.BLOCK_AT_SCANNED)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
          }
          if (item.migrated === 1) again++;
          return { ...item, migrated: 1 };
        };
        await context.backfill({ filter, transform, segments, pageSize });
      },
      async down() {},
    };
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const documentClient = createDocumentClient(client);
    // A short lease: the re-run takes the killed run's lock over after 3 s. Not shorter: on a busy machine (make test
    // on two cores) a heartbeat can miss a whole 1 s lease, and the run then stops, as it must, having lost the lock.
    await migrator({ client, documentClient, tableName, migrations: [migration], log, lock: { leaseMs: 3_000 } }).up();
    process.stdout.write(`${JSON.stringify({ again })}\n`);
    return;
  }

  if (mode === "slow") {
    // One migration that takes `workMs` in steps of 250 ms, counting in the table how many copies of it run at
    // once and how many steps this process made; it stops at the first step after the lock is lost.
    const [leaseMs, workMs] = [Number(count), Number(extra)];
    const { migrator } = await import("../../src/migrations/migrationRunner");
    const client = createClient({ region: LOCAL_REGION, endpoint });
    const documentClient = createDocumentClient(client);
    const add = (sk: string, by: number) =>
      documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: SLOW_PARTITION, sk },
          UpdateExpression: "ADD n :by",
          ExpressionAttributeValues: { ":by": by },
          ReturnValues: "UPDATED_NEW",
        }),
      );
    const slow: Migration = {
      name: "slow",
      async up({ context: { signal } }) {
        const { Attributes } = await add("active", 1);
        if (Number(Attributes?.n) > 1) await add("overlaps", 1);
        process.stdout.write("started\n");
        try {
          for (let waited = 0; waited < workMs; waited += 250) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            signal.throwIfAborted();
            await add(`steps#${process.pid}`, 1);
          }
          await add("runs", 1);
        } finally {
          await add("active", -1);
        }
      },
      async down() {},
    };
    await migrator({ client, documentClient, tableName, migrations: [slow], lock: { leaseMs } }).up();
    process.stdout.write("done\n");
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
