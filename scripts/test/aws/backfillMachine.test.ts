/**
 * A large backfill on AWS's state machine, driven by the pre-step's engine: the worker uploaded first (and waited
 * for), an execution a killed deploy left running stopped, a new one started from the checkpoints and followed to its
 * end, progress printed, and the migration recorded only when it succeeded; in process while the machine is not
 * deployed yet.
 *
 * Step Functions, Lambda's control plane and STS are mocked at their clients' `send`, since AWS has no local engine
 * for them. Step Functions' StartExecution, though, runs the real definition on aws-local-stepfunctions, its task
 * state the fixture's real built worker against DynamoDB Local: only the API calls around the execution are fakes.
 */
import { GetFunctionConfigurationCommand, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { batchWriteAll } from "@dynamodb-starter/kit/runtime";
import { ensureTable, migrator, readCheckpoints } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { awsBackfillMachine, runningBackfillExecutions, type AwsClients } from "../../src/aws/backfillMachine";
import { buildBackfillWorker, type Artifact } from "../../src/build";
import { localBackfillMachine } from "../../src/local/localBackfillMachine";
import { backfillEngine, type Execution, type ExecutionInput } from "../../src/pipeline/backfillEngine";
import { loadContract } from "../../src/project";
import { FIXTURE, fixtureDeployment } from "../support/functions";

const { migrations } = loadContract(FIXTURE).api;
const MIGRATION = migrations.find((m) => m.backfill)!.name;
const d = fixtureDeployment();
const admin = localClients();
const work = mkdtempSync(join(tmpdir(), "backfill-machine-"));
const tables: string[] = [];
let worker: Artifact;

beforeAll(async () => {
  worker = await buildBackfillWorker(FIXTURE, work);
}, 120_000);
afterAll(async () => {
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** A table with every migration before the backfill applied, and `items` events it has to transform. */
async function tableBeforeTheBackfill(items: number): Promise<string> {
  const tableName = uniqueTableName("aws-backfill");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  const before = migrations[migrations.findIndex((m) => m.name === MIGRATION) - 1];
  if (before) await migrator({ ...admin, tableName, migrations }).up({ to: before.name });
  await batchWriteAll(
    { ...admin, tableName },
    Array.from({ length: items }, (_, i) => ({ PutRequest: { Item: { pk: `EVENT#a${i}`, sk: "EVENT", id: `a${i}`, name: `event ${i}` } } })),
  );
  return tableName;
}

interface FakeExecution {
  executionArn: string;
  name: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  startDate?: Date;
  run?: Execution;
  error?: string;
}

/** Step Functions, Lambda and STS at the client boundary; every call recorded as [command, input]. */
function fakeAws(tableName: string, { deployed = true, leftRunning = [] as string[], workerUpdate = ["InProgress", "Successful"] } = {}) {
  const calls: [string, Record<string, unknown>][] = [];
  const executions: FakeExecution[] = leftRunning.map((name) => ({
    executionArn: `arn:aws:states:::execution:x:${name}`,
    name,
    status: "RUNNING",
    startDate: new Date("2026-01-02T03:04:05Z"),
  }));
  const local = localBackfillMachine({
    workerFile: worker.entry,
    env: { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: localEndpoint(), AWS_REGION: "local", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" },
  });
  const updates = [...workerUpdate];
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    calls.push([command.constructor.name, command.input]);
    if (command instanceof GetCallerIdentityCommand) return { Account: "123456789012" };
    if (command instanceof DescribeStateMachineCommand) {
      if (!deployed) throw new StateMachineDoesNotExist({ message: "State Machine Does Not Exist", $metadata: {} });
      return { stateMachineArn: command.input.stateMachineArn };
    }
    if (command instanceof UpdateFunctionCodeCommand) return {};
    if (command instanceof GetFunctionConfigurationCommand) return { LastUpdateStatus: updates.length > 1 ? updates.shift() : updates[0] };
    if (command instanceof ListExecutionsCommand) {
      if (!deployed) throw new StateMachineDoesNotExist({ message: "State Machine Does Not Exist", $metadata: {} });
      return { executions: executions.filter((e) => e.status === command.input.statusFilter) };
    }
    if (command instanceof StartExecutionCommand) {
      const e: FakeExecution = { executionArn: `arn:aws:states:::execution:x:${command.input.name}`, name: String(command.input.name), status: "RUNNING" };
      e.run = await local.start(JSON.parse(String(command.input.input)) as ExecutionInput, () => {});
      e.run.done.then(
        () => (e.status = "SUCCEEDED"),
        (error: Error) => ((e.status = "FAILED"), (e.error = error.message)),
      );
      executions.push(e);
      return { executionArn: e.executionArn };
    }
    const e = executions.find((x) => x.executionArn === command.input.executionArn);
    if (!e) throw new Error(`no execution ${String(command.input.executionArn)}`);
    if (command instanceof DescribeExecutionCommand) return { status: e.status, error: e.error };
    if (command instanceof StopExecutionCommand) {
      await e.run?.stop();
      e.status = "ABORTED";
      return {};
    }
    throw new Error(`unexpected ${command.constructor.name}`);
  };
  const clients = { lambda: { send }, sfn: { send }, sts: { send } } as unknown as AwsClients;
  return { calls, executions, clients, machine: awsBackfillMachine(d, worker, clients, 50) };
}

const names = (calls: [string, unknown][]) => calls.map(([name]) => name.replace(/Command$/, ""));

describe("a backfill on the AWS state machine", () => {
  it("uploads this release's worker, stops an execution a killed deploy left, runs from the checkpoints and records the migration once it succeeded", async () => {
    const tableName = await tableBeforeTheBackfill(300);
    const prefix = MIGRATION.replace(/[^\w-]/g, "-");
    const aws = fakeAws(tableName, { leftRunning: [`${prefix}-deadbeef`, "another-migration-0000"] });
    const lines: string[] = [];
    const engine = backfillEngine({ ...admin, tableName, distributedAboveItems: 100, machine: aws.machine, log: (l) => lines.push(l), progressEveryMs: 50 });

    expect(await migrator({ ...admin, tableName, migrations, backfillEngine: engine, log: (l) => lines.push(l) }).up()).toContain(MIGRATION);

    expect(names(aws.calls).slice(0, 6)).toEqual([
      "GetCallerIdentity",
      "DescribeStateMachine",
      "UpdateFunctionCode",
      "GetFunctionConfiguration",
      "GetFunctionConfiguration",
      "ListExecutions",
    ]);
    const [, update] = aws.calls.find(([n]) => n === "UpdateFunctionCodeCommand")!;
    expect(update).toMatchObject({ FunctionName: `${d.name}-backfill` });
    expect((update.ZipFile as Uint8Array).byteLength).toBe(worker.zipBytes);
    expect(aws.calls.find(([n]) => n === "DescribeStateMachineCommand")![1]).toEqual({
      stateMachineArn: `arn:aws:states:${d.region}:123456789012:stateMachine:${d.name}-backfills`,
    });
    // Only the same migration's execution is stopped; another migration's is not this run's to stop.
    expect(aws.calls.filter(([n]) => n === "StopExecutionCommand").map(([, i]) => i.executionArn)).toEqual([`arn:aws:states:::execution:x:${prefix}-deadbeef`]);
    const [, start] = aws.calls.find(([n]) => n === "StartExecutionCommand")!;
    const input = JSON.parse(String(start.input)) as ExecutionInput;
    expect(input).toMatchObject({ migration: MIGRATION, segments: [0, 1, 2, 3], totalSegments: 4, concurrency: 4 });
    expect(String(start.name)).toMatch(new RegExp(`^${prefix}-[0-9a-f]{8}$`));
    expect(aws.executions.at(-1)!.status).toBe("SUCCEEDED");

    expect(lines).toEqual(
      expect.arrayContaining([
        `  ${d.name}-backfill runs this release's backfills`,
        expect.stringMatching(/^ {2}backfill of .* on the state machine \S+-backfills \(~\d+ items, above 100\): 4 segments, 4 workers at once$/),
      ]),
    );
    expect(lines.some((l) => /^ {2}execution: https:\/\/.*console\.aws\.amazon\.com\/states\/.*#\/v2\/executions\/details\/arn:aws:states/.test(l))).toBe(true);
    expect(lines.some((l) => /scanned \d+, written 300 .* 4\/4 segments done, done$/.test(l))).toBe(true);
    const { Items = [] } = await admin.documentClient.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: "sk = :e AND attribute_not_exists(#s)",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":e": "EVENT" },
      }),
    );
    expect(Items).toEqual([]);
  }, 120_000);

  it("records nothing when the execution fails, keeps the checkpoints, and says the next deploy resumes from them", async () => {
    const tableName = await tableBeforeTheBackfill(200);
    const aws = fakeAws(tableName, { workerUpdate: ["Successful"] });
    // The execution fails: the workers are told a lock owner the run does not hold.
    const machine = {
      ...aws.machine,
      start: (input: ExecutionInput, log: (l: string) => void) => aws.machine.start({ ...input, lockOwner: "someone-else" }, log),
    };
    const engine = backfillEngine({ ...admin, tableName, distributedAboveItems: 100, machine, log: () => {} });
    const run = migrator({ ...admin, tableName, migrations, backfillEngine: engine, log: () => {} });

    await expect(run.up()).rejects.toThrow(
      /the backfill of .* failed on the state machine \S+-backfills \(https:.*\): FAILED.*It was not recorded; its checkpoints stay, and the next deploy \(or make migrate\) resumes from them/s,
    );
    expect((await run.status()).pending).toContain(MIGRATION);
  }, 120_000);

  it("runs the backfill in process, saying why, while the state machine is not deployed yet", async () => {
    const tableName = await tableBeforeTheBackfill(150);
    const aws = fakeAws(tableName, { deployed: false });
    const lines: string[] = [];
    const engine = backfillEngine({ ...admin, tableName, distributedAboveItems: 100, machine: aws.machine, log: (l) => lines.push(l) });

    expect(await migrator({ ...admin, tableName, migrations, backfillEngine: engine, log: () => {} }).up()).toContain(MIGRATION);
    expect(lines).toEqual([`  the backfill state machine is not deployed yet (the first deploy creates it): ${MIGRATION}'s backfill runs in this process`]);
    expect(names(aws.calls)).toEqual(["GetCallerIdentity", "DescribeStateMachine"]);
    expect(await readCheckpoints(admin.documentClient, tableName, MIGRATION)).toEqual([]);
  }, 120_000);

  it("stops when Lambda does not take the worker, before any execution", async () => {
    const tableName = await tableBeforeTheBackfill(150);
    const aws = fakeAws(tableName, { workerUpdate: ["Failed"] });
    const engine = backfillEngine({ ...admin, tableName, distributedAboveItems: 100, machine: aws.machine, log: () => {} });
    await expect(migrator({ ...admin, tableName, migrations, backfillEngine: engine, log: () => {} }).up()).rejects.toThrow(
      /Lambda did not take this release's backfill worker/,
    );
    expect(names(aws.calls)).not.toContain("StartExecution");
  }, 120_000);
});

describe("make migrate-status on AWS", () => {
  it("lists the backfill executions still running on the deployment's state machine, none before it is deployed", async () => {
    const aws = fakeAws("unused", { leftRunning: ["0009-something-1a2b3c4d"] });
    expect(await runningBackfillExecutions(d, aws.clients)).toEqual([
      {
        name: "0009-something-1a2b3c4d",
        since: "2026-01-02T03:04:05.000Z",
        where: expect.stringMatching(/^https:\/\/.*#\/v2\/executions\/details\/arn:aws:states:.*0009-something-1a2b3c4d$/),
      },
    ]);
    expect(aws.calls.find(([n]) => n === "ListExecutionsCommand")![1]).toEqual({
      stateMachineArn: `arn:aws:states:${d.region}:123456789012:stateMachine:${d.name}-backfills`,
      statusFilter: "RUNNING",
    });
    expect(await runningBackfillExecutions(d, fakeAws("unused", { deployed: false }).clients)).toEqual([]);
  });
});
