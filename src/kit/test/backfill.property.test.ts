import fc from "fast-check";
import { DeleteCommand, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll } from "../src/data/batchWrite";
import { createClient, createDocumentClient } from "../src/runtime/clients";
import { ensureTable } from "../src/table/ensureTable";
import { isConditionalCheckFailed } from "../src/errors";
import { LOCAL_REGION } from "../src/runtime/config";
import { backfill, type BackfillSpec } from "../src/data/backfill";
import { localClients, deleteTable, localEndpoint, itemsByKey, uniqueTableName } from "../src/testing/tables";

// Every run sends dozens of requests to DynamoDB Local, so this property runs a twentieth of `make fuzz`'s
// FUZZ_RUNS (1,000 by default there) and a few dozen times in `make test`. FUZZ_SEED replays a run.
const RUNS = process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 20) : 30;
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);

const admin = localClients();
const tableName = uniqueTableName("backfill-fuzz");
// The backfill's own client: a middleware lets the live app write just before any of its requests.
const client = createClient({ region: LOCAL_REGION, endpoint: localEndpoint() });
const documentClient = createDocumentClient(client);
let beforeRequest: () => Promise<void> = async () => {};
client.middlewareStack.add((next) => async (args) => (await beforeRequest(), next(args)), { step: "initialize", name: "live-app-writes" });

beforeAll(() => ensureTable({ client: admin.client, tableName }));
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
  client.destroy();
});

type Item = Record<string, unknown>;

/**
 * Transforms of the expand/contract kind: the new shape is computed from the
 * old attribute `old` and replaces it; the previous code only ever writes
 * `old`, so an item it wrote after the first pass is in the filter's reach
 * again for the catch-up pass.
 */
const transforms: Record<string, { spec: (run: string) => BackfillSpec; matches: (item: Item) => boolean }> = {
  "old becomes new, upper-cased": {
    spec: (run) => ({
      filter: {
        FilterExpression: "begins_with(pk, :run) AND attribute_exists(#old)",
        ExpressionAttributeNames: { "#old": "old" },
        ExpressionAttributeValues: { ":run": run },
      },
      transform: ({ old, ...item }) => ({ ...item, new: String(old).toUpperCase() }),
    }),
    matches: (item) => "old" in item,
  },
  "numbers doubled into new, anything else drops new": {
    spec: (run) => ({
      filter: {
        FilterExpression: "begins_with(pk, :run) AND attribute_exists(#old)",
        ExpressionAttributeNames: { "#old": "old" },
        ExpressionAttributeValues: { ":run": run },
      },
      transform: ({ old, ...item }) => (typeof old === "number" ? { ...item, new: old * 2 } : { ...item, old, new: undefined }),
    }),
    matches: (item) => "old" in item,
  },
  "every item of the run; undefined for those without old": {
    spec: (run) => ({
      filter: { FilterExpression: "begins_with(pk, :run)", ExpressionAttributeValues: { ":run": run } },
      transform: (item) => (item.old === undefined ? undefined : { ...item, old: undefined, new: `was ${String(item.old)}` }),
    }),
    matches: () => true,
  },
};

const value = fc.oneof(fc.constantFrom("a", "b", "Zz", ""), fc.integer({ min: -5, max: 5 }));
const initialItem = fc.oneof(
  fc.record({ old: value, n: fc.nat(3) }),
  fc.record({ new: fc.constant("already new"), n: fc.nat(3) }), // in the new shape before the backfill
);
const appWrite = fc.oneof(
  fc.record({ kind: fc.constant("set old" as const), target: fc.nat(9), value }),
  fc.record({ kind: fc.constant("add to n" as const), target: fc.nat(9) }),
  fc.record({ kind: fc.constant("tag" as const), target: fc.nat(9), value: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant("delete" as const), target: fc.nat(9) }),
  fc.record({ kind: fc.constant("create" as const), target: fc.nat(9), value }),
);
type AppWrite = typeof appWrite extends fc.Arbitrary<infer T> ? T : never;

/** Applies one write of the previous code to the table and to the model (items by key, as the app alone would leave them). */
async function applyWrite(run: string, write: AppWrite, model: Map<string, Item>, created: { count: number }) {
  const keys = [...model.keys()];
  const pk = write.kind === "create" ? `${run}NEW#${created.count++}` : keys[write.target % Math.max(1, keys.length)];
  if (pk === undefined) return;
  const Key = { pk, sk: "A" };
  const current = model.get(pk);
  if (write.kind === "create") {
    await admin.documentClient.send(new PutCommand({ TableName: tableName, Item: { ...Key, old: write.value, n: 0 } }));
    return void model.set(pk, { ...Key, old: write.value, n: 0 });
  }
  if (write.kind === "delete") {
    await admin.documentClient.send(new DeleteCommand({ TableName: tableName, Key }));
    return void model.delete(pk);
  }
  const [expression, values, next] =
    write.kind === "set old"
      ? ["SET #a = :v", { ":v": write.value }, { old: write.value }]
      : write.kind === "tag"
        ? ["SET #a = :v", { ":v": write.value }, { tag: write.value }]
        : ["ADD #a :v", { ":v": 1 }, { n: Number(current?.n ?? 0) + 1 }];
  const attribute = Object.keys(next)[0]!;
  try {
    await admin.documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key,
        UpdateExpression: expression,
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#a": attribute },
        ExpressionAttributeValues: values,
      }),
    );
    model.set(pk, { ...current!, ...next });
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

async function emptyTable() {
  const { Items = [] } = await admin.documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ProjectionExpression: "pk, sk" }));
  await batchWriteAll(
    { ...admin, tableName },
    Items.map((Key) => ({ DeleteRequest: { Key } })),
  );
}

let runs = 0;

describe("a backfill interleaved with the previous code's writes (property)", () => {
  it("leaves every item equal to transform(the item as the app left it), or deleted by the app", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(transforms)),
        fc.array(initialItem, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(40), appWrite), { maxLength: 12 }),
        fc.record({ segments: fc.integer({ min: 1, max: 3 }), pageSize: fc.integer({ min: 1, max: 3 }), writesInFlight: fc.integer({ min: 1, max: 3 }) }),
        async (which, initial, schedule, shape) => {
          const run = `RUN#${runs++}#`;
          const { spec, matches } = transforms[which]!;
          const model = new Map<string, Item>();
          for (const [i, attributes] of initial.entries()) {
            const item = { pk: `${run}ITEM#${i}`, sk: "A", ...attributes };
            model.set(item.pk, item);
            await admin.documentClient.send(new PutCommand({ TableName: tableName, Item: item }));
          }
          // The previous code writes just before the backfill's request number `at` (Scan, UpdateItem, GetItem, checkpoint).
          const created = { count: 0 };
          const pending = [...schedule].sort((a, b) => a[0] - b[0]);
          let requests = 0;
          let writing = Promise.resolve(); // segments send requests at once: the app's writes still go one at a time, in order
          beforeRequest = () => {
            const at = ++requests;
            writing = writing.then(async () => {
              while (pending.length > 0 && pending[0]![0] <= at) await applyWrite(run, pending.shift()![1], model, created);
            });
            return writing;
          };
          try {
            await backfill({ documentClient, tableName, ...spec(run), ...shape, migration: `fuzz-${run}` });
          } finally {
            beforeRequest = async () => {};
          }
          for (const [, write] of pending) await applyWrite(run, write, model, created); // after the first pass, before the switch
          await backfill({ documentClient, tableName, ...spec(run), ...shape }); // the catch-up pass, once the new code is live

          const expected = new Map([...model].map(([pk, item]) => [pk, matches(item) ? stripUndefined(spec(run).transform(item) ?? item) : item]));
          const found = await itemsByKey(admin.documentClient, tableName, run);
          await emptyTable(); // small pages scan every item, so each run starts on an empty table
          expect(found).toEqual(expected);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  }, 600_000);
});

const stripUndefined = (item: Item) => Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
