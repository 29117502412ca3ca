/**
 * The backfill state machine's definition (terraform/service/backfill.asl.json): valid ASL by asl-validator, a
 * Distributed Map over the segments whose one task state is the worker Terraform deploys, retried on throttling and
 * on a worker that dies, with no failure tolerated; and the roles the bootstrap gives the worker and the machine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import aslValidator from "asl-validator";
import { backfillDefinition } from "../../src/pipeline/backfillEngine";
import { BOOTSTRAP_DIR, SERVICE_DIR, loadInfra, type Hcl } from "../support/terraform";

const TEMPLATE = readFileSync(join(SERVICE_DIR, "backfill.asl.json"), "utf8");
const WORKER = "arn:aws:lambda:eu-west-1:123456789012:function:dev-backfill";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- ASL is free-form JSON; the test asserts its shape
const definition = backfillDefinition(WORKER) as any;
const tasks = (states: Record<string, Hcl>): [string, Hcl][] =>
  Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === "Task" ? [[name, state] as [string, Hcl]] : []),
    ...(state.ItemProcessor ? tasks(state.ItemProcessor.States) : []),
  ]);

describe("the backfill state machine", () => {
  it("is valid Amazon States Language, and asl-validator does reject a broken one", () => {
    expect(aslValidator(definition)).toMatchObject({ isValid: true });
    const broken = structuredClone(definition);
    broken.States.Segments.ItemProcessor.States.SegmentDone.Default = "Nowhere";
    expect(aslValidator(broken).isValid).toBe(false);
  });

  it("maps every remaining segment to a distributed child workflow that runs the worker until its segment is done", () => {
    const map = definition.States[definition.StartAt];
    expect(map).toMatchObject({ Type: "Map", ItemsPath: "$.segments", MaxConcurrencyPath: "$.concurrency", ToleratedFailurePercentage: 0 });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    expect(Object.keys(map.ItemSelector).sort()).toEqual(["lockOwner.$", "maxWritesPerSecond.$", "migration.$", "segment.$", "totalSegments.$"]);
    const loop = map.ItemProcessor.States;
    expect(loop.SegmentDone.Choices).toEqual([{ Variable: "$.done", BooleanEquals: true, Next: "Done" }]);
    expect(loop.SegmentDone.Default).toBe(map.ItemProcessor.StartAt);
    const retried = loop.RunSegment.Retry.flatMap((r: Hcl) => r.ErrorEquals);
    for (const error of ["Lambda.TooManyRequestsException", "Lambda.Unknown", "ThrottlingException", "States.Timeout"]) expect(retried).toContain(error);
  });

  it("names, in its one task state, the worker Terraform deploys beside it", async () => {
    expect(tasks(definition.States).map(([name, state]) => [name, state.Resource])).toEqual([["RunSegment", WORKER]]);
    expect([...TEMPLATE.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1])).toEqual(["worker_arn"]);
    const { merged } = await loadInfra();
    const [machine] = merged.resource.aws_sfn_state_machine.backfill;
    expect(machine.definition).toBe('${templatefile("${path.module}/backfill.asl.json", { worker_arn = aws_lambda_function.backfill_worker.arn })}');
    expect(machine).toMatchObject({ name: "${var.deployment}-backfills", role_arn: "${data.aws_iam_role.backfill_state_machine.arn}", type: "STANDARD" });
    const [worker] = merged.resource.aws_lambda_function.backfill_worker;
    expect(worker).toMatchObject({ function_name: "${var.deployment}-backfill", timeout: 900, filename: "${var.backfill_worker_zip}" });
    // The pre-step uploads each release's worker before a run: an apply never puts an older one back.
    expect(JSON.stringify(worker.lifecycle[0].ignore_changes)).toMatch(/filename.*source_code_hash/);
  });

  it("runs with roles of its own from the bootstrap: the worker reads and writes its table's items only, the machine invokes that worker and its own segments only", async () => {
    const { merged } = await loadInfra(BOOTSTRAP_DIR);
    const worker = merged.data.aws_iam_policy_document.backfill_worker[0].statement as Hcl[];
    expect(worker.map((s) => [s.sid, s.actions])).toEqual([
      ["TableData", ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]],
      ["OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]],
    ]);
    const machine = merged.data.aws_iam_policy_document.backfill_state_machine[0].statement as Hcl[];
    expect(machine.map((s) => [s.sid, s.actions, s.resources])).toEqual([
      [
        "InvokeTheWorker",
        ["lambda:InvokeFunction"],
        [expect.stringMatching(/:function:\$\{each\.key\}-backfill$/), expect.stringMatching(/:function:\$\{each\.key\}-backfill:\*$/)],
      ],
      ["RunItsSegments", ["states:StartExecution"], [expect.stringMatching(/:stateMachine:\$\{each\.key\}-backfills$/)]],
      ["FollowItsSegments", ["states:DescribeExecution", "states:StopExecution"], [expect.stringMatching(/:execution:\$\{each\.key\}-backfills\/\*$/)]],
    ]);
    expect(merged.resource.aws_iam_role.backfill_state_machine[0].assume_role_policy).toBe('${data.aws_iam_policy_document.service_trust["states"].json}');
    expect(merged.resource.aws_iam_role.backfill_worker[0].assume_role_policy).toBe("${data.aws_iam_policy_document.lambda_trust.json}");
  });
});
