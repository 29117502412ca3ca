/**
 * A separate Node process for the multi-process tests, run as
 *   node migrationChild.js connect <endpoint> <table> <count> <startAtMs>
 *   node migrationChild.js hold    <endpoint> <table> <count> <leaseMs>
 * "connect" waits until startAtMs (so many processes start together), calls
 * connect(), and prints {"ok":true,"umzugLoaded":...}. "hold" starts the
 * migrations with the first one hanging after its write, prints "holding",
 * and waits to be killed.
 */
import { connect, createClient, createDocumentClient, LOCAL_REGION } from "../../src/lib";
import { countingMigrations } from "./countingMigrations";

async function main(): Promise<void> {
  const [mode, endpoint, tableName, count, extra] = process.argv.slice(2);
  if (!endpoint || !tableName || !count || !extra) throw new Error("usage: migrationChild.js connect|hold <endpoint> <table> <count> <n>");
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
        await first.up(params);
        process.stdout.write("holding\n");
        await new Promise(() => {}); // never finishes: the test kills us here, mid-migration
      },
    };
    // Imported here so that "connect" mode loads only what connect() itself loads.
    const { migrator } = await import("../../src/lib/migrations/migrationRunner");
    const client = createClient({ region: LOCAL_REGION, endpoint });
    await migrator({ client, documentClient: createDocumentClient(client), tableName, migrations, lock: { leaseMs: Number(extra) } }).up();
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
