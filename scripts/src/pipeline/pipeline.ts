/**
 * Every deploy, whatever ships it: one sequence over one deployment. It
 * checks first what can be checked without changing anything, builds, runs
 * the pre-step (table, declared settings and stream, migrations under the
 * lock), ships, and once the previous release has finished its last
 * invocations runs the catch-up pass of the backfills the pre-step applied.
 * AWS (Terraform), the local deployment (processes) and `make dev` (a reload
 * on each save) differ only in their Ship.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Migration } from "@dynamodb-starter/kit/runtime";
import type { TableSettings } from "@dynamodb-starter/kit/ops";
import { buildFunctions, sizeReport, type Artifact } from "../build";
import type { FunctionSpec } from "../functions";
import { runCatchUp } from "./catchUp";
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
  /** Puts the built functions into service. */
  ship(artifacts: readonly Artifact[], log: (line: string) => void): Promise<void>;
  /** How long the previous release may still run once `ship` resolved: 0 where shipping stopped it. */
  drainSeconds: number;
}

export interface DeployTarget {
  tableName: string;
  settings: TableSettings;
  functions: readonly FunctionSpec[];
  migrations: readonly Migration[];
}

export interface DeployResult extends PreStepResult {
  artifacts: Artifact[];
}

/** The sequence: pre-flight, build, pre-step, ship, catch-up. */
export async function runDeploy({ tableName, settings, functions, migrations }: DeployTarget, ship: Ship, log: (line: string) => void): Promise<DeployResult> {
  await ship.preflight(log);
  log("build");
  const artifacts = await buildFunctions(ship.build.dir, functions, { zip: ship.build.zip });
  log(sizeReport(artifacts));
  const client = await ship.connect(log);
  try {
    const result = await runPreStep({ client, tableName, settings, log, functions, migrations });
    await ship.ship(artifacts, log);
    await runCatchUp({ client, tableName, applied: result.applied, waitSeconds: ship.drainSeconds, log, migrations });
    return { ...result, artifacts };
  } finally {
    client.destroy();
  }
}

/**
 * How long an invocation of the previous release may still run after the switch: the longest timeout of its
 * functions (each its config's, else the deployment's), and the margin above.
 */
export function drainSeconds(functions: readonly FunctionSpec[], defaultTimeoutSeconds: number): number {
  const longest = Math.max(...functions.map((f) => f.config.timeoutSeconds ?? defaultTimeoutSeconds));
  return longest + PREVIOUS_CODE_MARGIN_SECONDS;
}
