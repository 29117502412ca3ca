/**
 * The backfill state machine on AWS (terraform/service/backfills.tf): `<deployment>-backfills`, running the worker
 * `<deployment>-backfill`. Before a run, the pre-step uploads this release's worker (its code is the release's
 * migrations), waits for Lambda to take it, stops any execution an interrupted deploy left running for the same
 * migration (its workers could no longer write anyway: the lock has a new owner), starts one, and follows it.
 */
import { GetFunctionConfigurationCommand, LambdaClient, ResourceNotFoundException, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Artifact } from "../build";
import type { AwsDeployment } from "../deployments";
import type { BackfillMachine, Execution, ExecutionInput } from "../pipeline/backfillEngine";

export const backfillWorkerName = (d: Pick<AwsDeployment, "name">) => `${d.name}-backfill`;
export const backfillStateMachineName = (d: Pick<AwsDeployment, "name">) => `${d.name}-backfills`;

/** An execution's name: the migration's, and a random tail (names are unique per state machine for 90 days). */
const executionName = (migration: string) => `${migration.replace(/[^\w-]/g, "-").slice(0, 70)}-${randomUUID().slice(0, 8)}`;

const consoleUrl = (region: string, executionArn: string) =>
  `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;

/** The deployment's backfill executions still running (make migrate-status); none while its machine is not deployed. */
export async function runningBackfillExecutions(
  d: AwsDeployment,
  { sfn, sts }: Pick<AwsClients, "sfn" | "sts"> = { sfn: new SFNClient({ region: d.region }), sts: new STSClient({ region: d.region }) },
): Promise<{ name: string; since: string; where: string }[]> {
  const { Account } = await sts.send(new GetCallerIdentityCommand({}));
  const stateMachineArn = `arn:aws:states:${d.region}:${Account}:stateMachine:${backfillStateMachineName(d)}`;
  try {
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING" }));
    return executions.map((e) => ({ name: e.name ?? "", since: e.startDate?.toISOString() ?? "", where: consoleUrl(d.region, e.executionArn ?? "") }));
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist) return [];
    throw error;
  }
}

export interface AwsClients {
  lambda: Pick<LambdaClient, "send">;
  sfn: Pick<SFNClient, "send">;
  sts: Pick<STSClient, "send">;
}

export function awsBackfillMachine(d: AwsDeployment, worker: Artifact, clients?: AwsClients, pollMs = 5_000): BackfillMachine {
  const { lambda, sfn, sts } = clients ?? {
    lambda: new LambdaClient({ region: d.region }),
    sfn: new SFNClient({ region: d.region }),
    sts: new STSClient({ region: d.region }),
  };
  let stateMachineArn = "";
  return {
    name: `the state machine ${backfillStateMachineName(d)}`,
    async prepare(log) {
      const { Account } = await sts.send(new GetCallerIdentityCommand({}));
      stateMachineArn = `arn:aws:states:${d.region}:${Account}:stateMachine:${backfillStateMachineName(d)}`;
      try {
        await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
        await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: backfillWorkerName(d), ZipFile: readFileSync(worker.zipFile) }));
      } catch (error) {
        if (error instanceof StateMachineDoesNotExist || error instanceof ResourceNotFoundException) return false;
        throw error;
      }
      for (;;) {
        const { LastUpdateStatus, LastUpdateStatusReason } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: backfillWorkerName(d) }));
        if (LastUpdateStatus === "Successful") break;
        if (LastUpdateStatus === "Failed") throw new Error(`Lambda did not take this release's backfill worker: ${LastUpdateStatusReason}`);
        await sleep(1_000);
      }
      log(`  ${backfillWorkerName(d)} runs this release's backfills`);
      return true;
    },
    async start(input: ExecutionInput, log): Promise<Execution> {
      const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING" }));
      for (const old of running.executions ?? []) {
        if (!old.name?.startsWith(`${input.migration.replace(/[^\w-]/g, "-").slice(0, 70)}-`)) continue;
        log(`  stopping ${old.name}, left running by an earlier deploy: this run resumes from its checkpoints`);
        await sfn.send(new StopExecutionCommand({ executionArn: old.executionArn, cause: "a later deploy took the migration over" }));
      }
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: executionName(input.migration), input: JSON.stringify(input) }),
      );
      const done = (async () => {
        for (;;) {
          const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
          if (execution.status === "SUCCEEDED") return;
          if (execution.status !== "RUNNING" && execution.status !== "PENDING_REDRIVE") {
            throw new Error(
              `${execution.status}${execution.error ? `: ${execution.error}` : ""}${execution.cause ? ` (${execution.cause.slice(0, 500)})` : ""}`,
            );
          }
          await sleep(pollMs);
        }
      })();
      return {
        where: consoleUrl(d.region, executionArn ?? ""),
        done,
        async stop() {
          await sfn.send(new StopExecutionCommand({ executionArn, cause: "the deploy lost the migration lock, or stopped" }));
        },
      };
    },
  };
}
