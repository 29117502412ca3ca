import { parse } from "@cdktf/hcl2json";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FUNCTIONS } from "../support/functions";
import { SERVICE_DIR, loadInfra, type Hcl } from "../support/terraform";

// scripts/terraform/service/tests/*.tftest.hcl: what `terraform test` checks with a mocked AWS provider in the pull-request workflow
// (make infra-test). Here they are parsed and checked against the configuration; they run only where providers can
// be downloaded.
const TESTS_DIR = join(SERVICE_DIR, "tests");
let tests: Hcl;
let tf: Hcl;
beforeAll(async () => {
  const [file] = readdirSync(TESTS_DIR).filter((f) => f.endsWith(".tftest.hcl"));
  tests = (await parse(file!, readFileSync(join(TESTS_DIR, file!), "utf8"))) as Hcl;
  ({ merged: tf } = await loadInfra());
});

const asserted = () => JSON.stringify(tests.run);

describe("scripts/terraform/service/tests (terraform test, mocked AWS provider)", () => {
  it("mock the AWS provider, so they need no account, and set every variable infra/ requires", () => {
    expect(Object.keys(tests.mock_provider)).toEqual(["aws"]);
    const required = Object.entries(tf.variable as Record<string, Hcl[]>)
      .filter(([, [v]]) => v!.default === undefined)
      .map(([name]) => name);
    const set = Object.keys(tests.variables[0]);
    expect(required.filter((name) => !set.includes(name))).toEqual([]);
    expect(set.filter((name) => !(name in tf.variable))).toEqual([]);
  });

  it("describe a service of one function of each kind, as the handlers declare them", () => {
    const functions = Object.values(tests.variables[0].functions as Record<string, Hcl>);
    expect(functions.map((f) => (f.http ? "http" : f.stream ? "stream" : f.schedule ? "schedule" : "none")).sort()).toEqual(["http", "schedule", "stream"]);
    expect(new Set(FUNCTIONS.map((f) => f.kind))).toEqual(new Set(["http", "stream", "schedule"]));
  });

  it("assert one role, log group and alarms, one trigger and one live alias released by CodeDeploy per function, and the stream mapping's settings", () => {
    expect(Object.keys(tests.run).sort()).toEqual([
      "every_function_released_through_its_live_alias_by_codedeploy",
      "one_function_role_log_group_and_alarms_per_handler",
      "one_trigger_per_handler",
      "refuses_a_stream_consumer_without_the_stream",
      "refuses_a_traffic_shift_codedeploy_does_not_have",
      "refuses_unbounded_retries",
      "stream_mapping_settings",
      "the_kit_metrics_alarm_per_route_and_on_consumed_units",
    ]);
    for (const fragment of [
      "data.aws_iam_role.function",
      "aws_cloudwatch_log_group.function",
      "aws_cloudwatch_metric_alarm.lambda_errors",
      "aws_cloudwatch_metric_alarm.route_latency",
      "aws_cloudwatch_metric_alarm.consumed_capacity",
      "aws_lambda_event_source_mapping.stream",
      "aws_scheduler_schedule.function",
      "function_response_types",
      "bisect_batch_on_function_error",
      "maximum_retry_attempts",
      "maximum_record_age_in_seconds",
      "aws_sqs_queue.stream_failures",
      "aws_lambda_alias.live",
      "aws_codedeploy_deployment_group.function",
      "aws_lambda_permission.api",
    ]) {
      expect({ fragment, asserted: asserted().includes(fragment) }).toEqual({ fragment, asserted: true });
    }
    // Everything they name exists in infra/.
    const named = [...asserted().matchAll(/\b(?:data\.)?(aws_\w+)\.(\w+)/g)].map((m) => [m[0].startsWith("data.") ? "data" : "resource", m[1]!, m[2]!]);
    expect(named.filter(([block, type, name]) => !tf[block!]?.[type!]?.[name!])).toEqual([]);
    expect(tests.run.refuses_unbounded_retries[0].expect_failures).toEqual(["${var.functions}"]);
  });
});

describe("terraform validate and terraform test", () => {
  // Decided before the test runs, so that its very name says which it was.
  const dir = mkdtempSync(join(tmpdir(), "tf-test-"));
  cpSync(SERVICE_DIR, dir, { recursive: true, filter: (src) => !src.includes(".terraform") });
  const version = spawnSync("terraform", ["version"], { encoding: "utf8" });
  const init =
    version.status === 0
      ? spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: dir, encoding: "utf8", timeout: 120_000 })
      : undefined;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  if (!init || init.status !== 0) {
    const why = init ? "no providers (terraform init could not download hashicorp/aws)" : "no terraform binary on PATH";
    it(`skipped: ${why}; terraform validate and terraform test run in the pull-request workflow (make infra-test)`, () => {
      process.stderr.write(`terraform/service/tests: skipped: ${why}; terraform validate and terraform test did not run here\n`);
      if (init) expect(init.stderr).toMatch(/provider|registry|Failed to query|could not/i);
      else expect(version.status).not.toBe(0);
    });
    return;
  }

  it("validate the configuration and pass terraform/service/tests/*.tftest.hcl", () => {
    const validate = spawnSync("terraform", ["validate", "-no-color"], { cwd: dir, encoding: "utf8" });
    expect(validate.stdout + validate.stderr).toContain("Success");
    const test = spawnSync("terraform", ["test", "-no-color"], { cwd: dir, encoding: "utf8", timeout: 300_000 });
    expect({ status: test.status, output: test.stdout + test.stderr }).toEqual({ status: 0, output: expect.stringContaining("passed, 0 failed") });
  });
});
