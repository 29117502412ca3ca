/**
 * The backfill `make bench` shares between worker processes, and the command
 * those processes run: scripts/migrate.ts with this one migration, so that
 * the bench's coordinator and its workers run the same code.
 */
import type { Migration } from "../../src/lib";
import { runCli } from "../cli";
import { main } from "../migrate";

export const BENCH_SEGMENTS = 8;

export const benchBackfill: Migration = {
  name: "0001-bench-shared-backfill",
  backfill: {
    segments: BENCH_SEGMENTS,
    pageSize: 500,
    filter: { FilterExpression: "begins_with(pk, :item)", ExpressionAttributeValues: { ":item": "ITEM#" } },
    transform: (item) => ({ ...item, migrated: 1 }),
  },
  async down() {},
};

runCli(module, "benchWorker", () => main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`), [benchBackfill]));
