import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { main } from "../../scripts/migrate";
import { batchWriteAll, BackfillWorkerRefusedError, ensureTable, MIGRATIONS_PARTITION, type Migration } from "../../src/lib";
import { backfill, backfillFingerprint, jobKey, publishJob, readJobs } from "../../src/lib/tools";
import { clients, deleteTable, endpoint, uniqueTableName } from "../support/dynamo";

const admin = clients();
const tables: string[] = [];
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
});

async function table(items = 50) {
  const tableName = uniqueTableName("backfill-jobs");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: items }, (_, i) => ({ PutRequest: { Item: { pk: `ITEM#${i}`, sk: "A" } } })),
  );
  return tableName;
}

const snapshot = async (tableName: string) =>
  ((await admin.documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? []).sort((a, b) =>
    `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`),
  );

const spec = { segments: 2, transform: (item: Record<string, unknown>) => ({ ...item, migrated: true }) };
const published = (name: string): Migration => ({ name, backfill: spec, async down() {} });

describe("a worker joining a published backfill", () => {
  const publish = (tableName: string, fingerprint = backfillFingerprint(spec)) =>
    publishJob(
      { ...admin, tableName },
      { migration: "0001-fill", totalSegments: 2, fingerprint, publishedBy: "coordinator", publishedAt: new Date().toISOString() },
    );
  const work = (tableName: string, migrations: Migration[], lines: string[] = []) =>
    main(["work", "--table", tableName, "--endpoint", endpoint()], (l) => lines.push(l), migrations);

  it("refuses when its code has no migration of that name, changing nothing", async () => {
    const tableName = await table();
    await publish(tableName);
    const before = await snapshot(tableName);
    const attempt = work(tableName, [published("0001-other")]);
    await expect(attempt).rejects.toThrow(BackfillWorkerRefusedError);
    await expect(attempt).rejects.toThrow(`refuses to join the backfill of "0001-fill": this build's migration index has no migration of that name`);
    expect(await snapshot(tableName)).toEqual(before);
  });

  it("refuses when its transform differs from the published one (another build), changing nothing", async () => {
    const tableName = await table();
    await publish(tableName);
    const before = await snapshot(tableName);
    const edited: Migration = { name: "0001-fill", backfill: { ...spec, transform: (item) => ({ ...item, migrated: "yes" }) }, async down() {} };
    await expect(work(tableName, [edited])).rejects.toThrow(/differs from the published one \(fingerprint [0-9a-f]{16}, published [0-9a-f]{16}\)/);
    await expect(work(tableName, [{ ...edited, backfill: undefined, up: async () => {} }])).rejects.toThrow(
      "in this build that migration declares no backfill",
    );
    expect(await snapshot(tableName)).toEqual(before);
  });

  it("does the whole job alone when its code matches, and leaves once no backfill is pending", async () => {
    const tableName = await table();
    await publish(tableName);
    const lines: string[] = [];
    // The job stays published until the migration run records it; with nothing else pending, the worker leaves once every segment is done.
    await work(tableName, [published("0001-fill")], lines);
    expect(lines.at(-1)).toMatch(/worker done on table .*: helped with 0001-fill/);
    const items = (await snapshot(tableName)).filter((item) => item.pk !== MIGRATIONS_PARTITION);
    expect(items.filter((item) => item.migrated !== true)).toEqual([]);
    expect((await readJobs(admin.documentClient, tableName)).map((j) => j.migration)).toEqual(["0001-fill"]);
  });
});

describe("backfill and the migrations partition", () => {
  it("never rewrites the migrations' own items, whatever the transform", async () => {
    const tableName = await table(10);
    await publishJob({ ...admin, tableName }, { migration: "0002-x", totalSegments: 1, fingerprint: "f", publishedBy: "p", publishedAt: "t" });
    const result = await backfill({ ...admin, tableName, segments: 1, transform: (item) => ({ ...item, touched: true }) });
    expect(result.written).toBe(10);
    const { Item } = await admin.documentClient.send(new GetCommand({ TableName: tableName, Key: jobKey("0002-x"), ConsistentRead: true }));
    expect(Item?.touched).toBeUndefined();
  });
});
