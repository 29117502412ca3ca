/**
 * How the pre-step's engine sizes a run on the state machine: segments from the table's size unless the migration
 * sets them, as many workers at once as its write budget keeps busy (each with an equal share), in process below the
 * deployment's threshold. The machine here only records what it was started with: the execution itself is tested on
 * aws-local-stepfunctions (distributedBackfill.slow.test.ts, aws/backfillMachine.test.ts).
 */
import { ensureTable } from "@dynamodb-starter/kit/ops";
import type { BackfillSpec } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { backfillEngine, TABLE_WRITES_PER_SECOND, WORKER_ITEMS_PER_SECOND, type ExecutionInput } from "../src/pipeline/backfillEngine";

const admin = localClients();
const tableName = uniqueTableName("engine");
beforeAll(() => ensureTable({ client: admin.client, tableName }));
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

async function started(spec: BackfillSpec, distributedAboveItems = 0): Promise<ExecutionInput | "in process"> {
  let input: ExecutionInput | undefined;
  const machine = {
    name: "a recording machine",
    prepare: async () => true,
    start: async (i: ExecutionInput) => ((input = i), { where: "here", done: Promise.resolve(), stop: async () => {} }),
  };
  const engine = backfillEngine({ ...admin, tableName, distributedAboveItems, machine, log: () => {} });
  const zero = { scanned: 0, written: 0, gone: 0, retries: 0, writeUnits: 0, ms: 0, resumedSegments: 0, complete: true };
  const result = await engine({ migration: "0001-x", spec, owner: "me", signal: new AbortController().signal, inProcess: async () => ({ ...zero, ms: -1 }) });
  return result.ms === -1 ? "in process" : input!;
}

const transform = (item: Record<string, unknown>) => item;

it("takes as many workers as the budget keeps busy, each with an equal share of it", async () => {
  expect(await started({ transform, segments: 16, maxWritesPerSecond: 2_500 })).toMatchObject({
    segments: [...Array(16).keys()],
    totalSegments: 16,
    concurrency: 3,
    maxWritesPerSecond: 2_500 / 3,
  });
  expect(await started({ transform, segments: 8, maxWritesPerSecond: 100 })).toMatchObject({ concurrency: 1, maxWritesPerSecond: 100 });
  expect(WORKER_ITEMS_PER_SECOND * 3).toBeGreaterThanOrEqual(2_500);
});

it("without a budget, every segment at once up to the table's default ceiling's worth of workers, with no cap of their own", async () => {
  expect(await started({ transform, segments: 8 })).toMatchObject({ concurrency: 8, maxWritesPerSecond: 0 });
  expect(await started({ transform, segments: 64 })).toMatchObject({
    concurrency: Math.ceil(TABLE_WRITES_PER_SECOND / WORKER_ITEMS_PER_SECOND),
    maxWritesPerSecond: 0,
  });
});

it("sizes segments from the table (4 at least) when the migration does not, and stays in process below the threshold unless asked", async () => {
  expect(await started({ transform })).toMatchObject({ totalSegments: 4 });
  expect(await started({ transform }, 1_000)).toBe("in process");
  expect(await started({ transform, engine: "distributed" }, 1_000)).toMatchObject({ totalSegments: 4 });
  expect(await started({ transform, engine: "in-process" }, 0)).toBe("in process");
});
