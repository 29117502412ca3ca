/**
 * Backfills on the backfill state machine, locally: the same definition as on AWS run by aws-local-stepfunctions, its
 * task state the built worker in processes of its own, against DynamoDB Local. A scratch copy of the fixture app adds
 * a migration whose backfill gives every event a capacity, forced onto the engine. While it runs on 4 segments with
 * concurrent workers, another process updates, deletes and creates events: no acknowledged update is lost, no deleted
 * event comes back, every surviving event is transformed once the catch-up ran. A worker killed mid-segment is
 * retried. A local deploy runs the backfill on the engine, prints its progress, records the migration once; the next
 * deploy changes nothing.
 */
import { spawn } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll, createClient, createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { ensureTable, migrator } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { buildBackfillWorker } from "../src/build";
import { isolatedLocalDeployment } from "../src/deployments";
import { deployLocal, destroyLocal } from "../src/local/localDeployment";
import { localBackfillMachine } from "../src/local/localBackfillMachine";
import { backfillEngine } from "../src/pipeline/backfillEngine";
import { loadContract } from "../src/project";
import { scratchFixture } from "./support/functions";

const EVENTS = 1_200;
const scratch = scratchFixture("distributed-backfill");
const { p } = scratch;
const admin = localClients();
const tables: string[] = [];
let workerFile: string;

beforeAll(async () => {
  writeFileSync(
    join(p.root, "src/app/migrations/0003-events-have-a-capacity.ts"),
    `import type { Migration } from "@dynamodb-starter/kit/migrations";

/** Every event gets a capacity; small pages, so that a segment takes the worker several calls. */
export const eventsHaveACapacity: Migration = {
  name: "0003-events-have-a-capacity",
  backfill: {
    engine: "distributed",
    pageSize: 40,
    filter: { FilterExpression: "sk = :event AND attribute_not_exists(#c)", ExpressionAttributeNames: { "#c": "capacity" }, ExpressionAttributeValues: { ":event": "EVENT" } },
    transform: (item) => ({ ...item, capacity: 100 }),
  },
  async down() {},
};
`,
  );
  const index = join(p.root, "src/app/migrations/index.ts");
  writeFileSync(
    index,
    readFileSync(index, "utf8")
      .replace(
        'import { eventsHaveAStatus } from "./0002-events-have-a-status";',
        'import { eventsHaveAStatus } from "./0002-events-have-a-status";\nimport { eventsHaveACapacity } from "./0003-events-have-a-capacity";',
      )
      .replace("eventsHaveAStatus]", "eventsHaveAStatus, eventsHaveACapacity]"),
  );
  workerFile = (await buildBackfillWorker(p, join(p.root, "dist"), { zip: false })).entry;
}, 120_000);
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
  scratch.remove();
});

/** A table with the fixture's first two migrations applied and EVENTS events, none with a capacity. */
async function eventsTable(migrations: readonly Migration[]): Promise<string> {
  const tableName = uniqueTableName("distributed");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  await migrator({ ...admin, tableName, migrations }).up({ to: "0002-events-have-a-status" });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: EVENTS }, (_, i) => ({
      PutRequest: { Item: { pk: `EVENT#e${i}`, sk: "EVENT", id: `e${i}`, name: `event ${i}`, status: "open", rev: 0 } },
    })),
  );
  return tableName;
}

const workerEnv = (tableName: string) => ({
  TABLE_NAME: tableName,
  DYNAMODB_ENDPOINT: localEndpoint(),
  AWS_REGION: "local",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
});

/** Another process, writing as the app would meanwhile: each line it prints is a write DynamoDB acknowledged. */
const WRITER = `
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");
const { DynamoDBDocumentClient, UpdateCommand, DeleteCommand, PutCommand } = require("@aws-sdk/lib-dynamodb");
const [endpoint, TableName, total] = process.argv.slice(1);
const client = new DynamoDBClient({ endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
const db = DynamoDBDocumentClient.from(client);
let stop = false;
process.on("SIGTERM", () => (stop = true));
(async () => {
  let n = 0;
  while (!stop) {
    const i = Math.floor(Math.random() * Number(total));
    const op = n++ % 10;
    if (op < 7) {
      const { Attributes } = await db.send(new UpdateCommand({ TableName, Key: { pk: "EVENT#e" + i, sk: "EVENT" }, UpdateExpression: "ADD rev :one", ConditionExpression: "attribute_exists(pk)", ExpressionAttributeValues: { ":one": 1 }, ReturnValues: "UPDATED_NEW" })).catch(() => ({}));
      if (Attributes) console.log(JSON.stringify({ updated: "e" + i, rev: Attributes.rev }));
    } else if (op < 8) {
      await db.send(new DeleteCommand({ TableName, Key: { pk: "EVENT#e" + i, sk: "EVENT" } }));
      console.log(JSON.stringify({ deleted: "e" + i }));
    } else {
      const id = "new" + n;
      await db.send(new PutCommand({ TableName, Item: { pk: "EVENT#" + id, sk: "EVENT", id, name: "late", status: "open", rev: 0 } }));
      console.log(JSON.stringify({ created: id }));
    }
  }
  // Ends by itself once its sockets close: process.exit could drop lines still on their way to the pipe.
  client.destroy();
})();
`;

function startWriter(tableName: string) {
  const proc = spawn(process.execPath, ["-e", WRITER, localEndpoint(), tableName, String(EVENTS)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let signalReady: () => void;
  const ready = new Promise<void>((resolve, reject) => {
    signalReady = resolve;
    proc.once("exit", (code) => reject(new Error(`the live writer exited (${code}) before its first write`)));
  });
  proc.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes("\n")) signalReady(); // its first acknowledged write
  });
  const ended = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return {
    ready,
    async stop() {
      proc.kill("SIGTERM");
      await ended;
      return out
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { updated?: string; rev?: number; deleted?: string; created?: string });
    },
  };
}

describe("a backfill on the state machine", () => {
  it("loses no live write on 4 segments with concurrent workers, and retries a worker killed mid-segment", async () => {
    jest.resetModules();
    const { migrations } = loadContract(p).api;
    const tableName = await eventsTable(migrations);
    const machine = localBackfillMachine({ workerFile, env: workerEnv(tableName) });
    const lines: string[] = [];
    const engine = backfillEngine({
      ...admin,
      tableName,
      distributedAboveItems: Number.MAX_SAFE_INTEGER,
      machine,
      log: (line) => lines.push(line),
      progressEveryMs: 250,
    });

    const writer = startWriter(tableName);
    await writer.ready; // the previous code is writing before the migration starts, however fast the machine
    // Kill one worker process while it works: the definition's retry runs its segment again from its checkpoint.
    let killed = 0;
    const killer = setInterval(() => {
      const [worker] = machine.workers;
      if (worker?.pid && killed === 0) {
        killed = worker.pid;
        process.kill(worker.pid, "SIGKILL");
      }
    }, 150);
    const applied = await migrator({ ...admin, tableName, migrations, backfillEngine: engine, log: (line) => lines.push(line) })
      .up()
      .finally(() => clearInterval(killer));
    const acknowledged = await writer.stop();
    await migrator({ ...admin, tableName, migrations }).catchUp({ only: ["0003-events-have-a-capacity"] });

    expect(applied).toEqual(["0003-events-have-a-capacity"]);
    expect(killed).toBeGreaterThan(0);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ {2}backfill of 0003-events-have-a-capacity on the local state machine \(aws-local-stepfunctions\) \(the migration asks for it\): 4 segments, 4 workers at once$/,
        ),
      ]),
    );
    expect(lines.some((l) => /segments done/.test(l))).toBe(true);

    const { Items = [] } = await admin.documentClient.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, FilterExpression: "sk = :e", ExpressionAttributeValues: { ":e": "EVENT" } }),
    );
    const stored = new Map(Items.map((i) => [String(i.id), i]));
    const lastRev = new Map<string, number>();
    for (const a of acknowledged) if (a.updated) lastRev.set(a.updated, Math.max(lastRev.get(a.updated) ?? 0, a.rev!));
    const deleted = new Set(acknowledged.flatMap((a) => (a.deleted ? [a.deleted] : [])));
    expect(acknowledged.length).toBeGreaterThan(20);
    // No acknowledged update lost (the last one of each item, unless the item was deleted after it).
    const lost = [...lastRev].filter(([id, rev]) => !deleted.has(id) && Number(stored.get(id)?.rev ?? -1) < rev);
    expect(lost).toEqual([]);
    // No deleted event back, every created one there, every surviving one transformed.
    expect([...deleted].filter((id) => stored.has(id))).toEqual([]);
    expect(acknowledged.flatMap((a) => (a.created && !stored.has(a.created) ? [a.created] : []))).toEqual([]);
    expect(Items.filter((i) => i.capacity !== 100).map((i) => i.id)).toEqual([]);
  }, 300_000);

  it("runs from a local deploy: progress printed, the migration recorded once, and the next deploy changes nothing", async () => {
    const d = { ...(await isolatedLocalDeployment("distributed-deploy", p)), shift: { share: 0.5, seconds: 1 } };
    try {
      jest.resetModules();
      await deployLocal(d, () => {}); // the app at 0002, with this revision's 0003 too: a fresh table, so write events after
      // Events written before the next deploy of a release that adds a backfill: simulate one by reverting 0003.
      const db = createDocumentClient(createClient({ region: "local", endpoint: `http://127.0.0.1:${d.dynamoPort}` }));
      for (let i = 0; i < 200; i++)
        await db.send(new PutCommand({ TableName: d.tableName, Item: { pk: `EVENT#d${i}`, sk: "EVENT", id: `d${i}`, status: "open" } }));
      jest.resetModules();
      await migrator({
        client: createClient({ region: "local", endpoint: `http://127.0.0.1:${d.dynamoPort}` }),
        documentClient: db,
        tableName: d.tableName,
        migrations: loadContract(p).api.migrations,
      }).down({
        to: "0003-events-have-a-capacity",
      });

      const lines: string[] = [];
      jest.resetModules();
      await deployLocal(d, (line) => lines.push(line));
      expect(lines.filter((l) => l.includes("backfill of 0003-events-have-a-capacity on the local state machine"))).toHaveLength(1);
      expect(lines.some((l) => /backfill 0003-events-have-a-capacity: scanned \d+, written 200 .* 4\/4 segments done, done$/.test(l))).toBe(true);
      expect(lines.some((l) => l.includes("applied 1: 0003-events-have-a-capacity"))).toBe(true);
      expect((await db.send(new GetCommand({ TableName: d.tableName, Key: { pk: "EVENT#d7", sk: "EVENT" } }))).Item?.capacity).toBe(100);

      const again: string[] = [];
      jest.resetModules();
      await deployLocal(d, (line) => again.push(line));
      expect(again.some((l) => l.includes("nothing pending"))).toBe(true);
      expect(again.filter((l) => l.includes("state machine"))).toEqual([]);
    } finally {
      await destroyLocal(d, () => {});
    }
  }, 300_000);
});
