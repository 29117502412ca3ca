/**
 * Every deploy, whatever ships it: one sequence over one deployment. It
 * checks first what can be checked without changing anything, builds, runs
 * the pre-step (table, declared settings and stream, the expand migrations
 * under the lock), ships, and once the previous release has finished its last
 * invocations applies the contract migrations and runs the catch-up pass of
 * the backfills this deploy applied.
 * AWS (Terraform), the local deployment (processes) and `make dev` (a reload
 * on each save) differ only in their Ship.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Migration } from "@dynamodb-starter/kit/runtime";
import type { TableSettings } from "@dynamodb-starter/kit/ops";
import { buildBackfillWorker, buildFunctions, sizeReport, type Artifact } from "../build";
import type { Project } from "../project";
import { backfillEngine, type BackfillMachine } from "./backfillEngine";
import type { FunctionSpec } from "../functions";
import { createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { migrator } from "@dynamodb-starter/kit/ops";
import { setTimeout as sleep } from "node:timers/promises";
import { backfilledAmong, runCatchUp } from "./catchUp";
import { recordRelease } from "./releases";
import { runPreStep, type PreStepResult } from "./preStep";

/**
 * Beyond a function's timeout: for the seconds after an update in which Lambda may still start invocations of the
 * previous code. An assumption, generous on purpose; the catch-up is cheap when early.
 */
export const PREVIOUS_CODE_MARGIN_SECONDS = 30;

export interface Ship {
  /** What can be checked before anything changes (a tool, credentials, a bucket, a port); throws with the fix. */
  preflight(log: (line: string) => void): Promise<void>;
  /** Where the functions are built, and whether zipped (only what is uploaded needs a zip). */
  build: { dir: string; zip: boolean };
  /** A client of the deployment's DynamoDB (a local ship starts DynamoDB Local first); destroyed after the deploy. */
  connect(log: (line: string) => void): Promise<DynamoDBClient>;
  /**
   * Puts the built functions into service, gradually where it can, and says what went live per function (a Lambda
   * version, a local release): what `make rollback` returns to. Throws when the release was rolled back.
   */
  ship(artifacts: readonly Artifact[], log: (line: string) => void): Promise<Record<string, string>>;
  /** How long the previous release may still run once `ship` resolved: 0 where shipping stopped it. */
  drainSeconds: number;
  /** Where backfills past `distributedAboveItems` items run: the backfill state machine, with this release's worker. */
  backfills: { distributedAboveItems: number; machine(worker: Artifact): BackfillMachine };
}

export interface DeployTarget {
  /** The service: its migrations folder is what the backfill worker is built over. */
  project: Project;
  tableName: string;
  settings: TableSettings;
  functions: readonly FunctionSpec[];
  migrations: readonly Migration[];
}

export interface DeployResult extends PreStepResult {
  artifacts: Artifact[];
  /** The release's number in the deployment's record (releases.ts). */
  release: number;
}

/** The sequence: pre-flight, build, pre-step (expands), ship, then contracts and catch-up. */
export async function runDeploy(
  { project, tableName, settings, functions, migrations }: DeployTarget,
  ship: Ship,
  log: (line: string) => void,
): Promise<DeployResult> {
  await ship.preflight(log);
  log("build");
  const artifacts = await buildFunctions(ship.build.dir, functions, { zip: ship.build.zip });
  const worker = await buildBackfillWorker(project, ship.build.dir, { zip: ship.build.zip });
  log(sizeReport([...artifacts, worker]));
  const client = await ship.connect(log);
  try {
    const engine = backfillEngine({
      client,
      documentClient: createDocumentClient(client),
      tableName,
      distributedAboveItems: ship.backfills.distributedAboveItems,
      machine: ship.backfills.machine(worker),
      log,
    });
    const result = await runPreStep({ client, tableName, settings, log, functions, migrations, contractsAfterShift: true, backfillEngine: engine });
    const versions = await ship.ship([...artifacts, worker], log);
    const contracted = await afterShift({
      client,
      tableName,
      migrations,
      deferred: result.deferred,
      applied: result.applied,
      drainSeconds: ship.drainSeconds,
      log,
      backfillEngine: engine,
    });
    // What went live, and what the table had run by then: make rollback's record.
    const documentClient = createDocumentClient(client);
    const { executed } = await migrator({ client, documentClient, tableName, migrations }).status();
    const release = await recordRelease(documentClient, tableName, { versions, migrations: executed });
    log(`release ${release.seq} recorded`);
    return { ...result, applied: [...result.applied, ...contracted], artifacts, release: release.seq };
  } finally {
    client.destroy();
  }
}

/**
 * Once the new code takes all traffic: waits out the previous release's last invocations (when anything is left to
 * do), applies the contract migrations the pre-step deferred, then catches up every backfill this deploy applied.
 */
async function afterShift({
  client,
  tableName,
  migrations,
  deferred,
  applied,
  drainSeconds,
  log,
  backfillEngine: engine,
}: {
  client: DynamoDBClient;
  tableName: string;
  migrations: readonly Migration[];
  deferred: readonly string[];
  applied: readonly string[];
  drainSeconds: number;
  log: (line: string) => void;
  backfillEngine: ReturnType<typeof backfillEngine>;
}): Promise<string[]> {
  if (deferred.length === 0 && backfilledAmong(applied, migrations).length === 0) return [];
  if (drainSeconds > 0) {
    log(`waiting ${drainSeconds} s for the previous release's last invocations to end (its longest function timeout and a margin)`);
    await sleep(drainSeconds * 1_000);
  }
  let contracted: string[] = [];
  if (deferred.length) {
    log(`contract migrations, the previous release gone: ${deferred.join(", ")}`);
    const m = migrator({
      client,
      documentClient: createDocumentClient(client),
      tableName,
      migrations,
      log: (line) => log(`  ${line}`),
      backfillEngine: engine,
    });
    contracted = await m.up({ to: deferred.at(-1)! });
    log(`  applied ${contracted.length}: ${contracted.join(", ")}`);
  }
  await runCatchUp({ client, tableName, applied: [...applied, ...contracted], log, migrations });
  return contracted;
}

/**
 * How long an invocation of the previous release may still run after the switch: the longest timeout of its
 * functions (each its config's, else the deployment's), and the margin above.
 */
export function drainSeconds(functions: readonly FunctionSpec[], defaultTimeoutSeconds: number): number {
  const longest = Math.max(...functions.map((f) => f.config.timeoutSeconds ?? defaultTimeoutSeconds));
  return longest + PREVIOUS_CODE_MARGIN_SECONDS;
}
