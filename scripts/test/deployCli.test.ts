import { DEFAULT_METRICS_NAMESPACE } from "@dynamodb-starter/kit/runtime";
import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { main } from "../src/pipeline/deploy";
import { backendConfigArgs, deploymentRoot } from "../src/aws/terraform";
import { FIXTURE, fixtureDeployment, writeVars } from "./support/functions";
import { NO_AWS_CREDENTIALS, terraformOnPath, withEnv } from "./support/env";
import { loadInfra } from "./support/terraform";

const staging = fixtureDeployment();

async function run(...args: string[]): Promise<{ lines: string[]; error?: Error }> {
  const lines: string[] = [];
  try {
    await main(args, (line) => lines.push(line), FIXTURE);
    return { lines };
  } catch (error) {
    return { lines, error: error as Error };
  }
}

describe("deploy CLI", () => {
  it("names the known deployments when given an unknown one", async () => {
    const { error } = await run("deploy", "--deployment", "production");
    expect(error?.message).toMatch(/^unknown deployment "production". Known deployments: local, staging/);
  });

  it(
    "stops before building or touching AWS when terraform is missing",
    withEnv({ PATH: "/nonexistent" }, async () => {
      const { lines, error } = await run("deploy", "--deployment", "staging");
      expect(error?.name).toBe("TerraformError");
      expect(error?.message).toContain("terraform was not found on PATH. Install Terraform >= 1.10");
      expect(lines).not.toContain("build");
    }),
  );

  it(
    "stops before building or touching AWS when there are no credentials",
    withEnv(NO_AWS_CREDENTIALS, async () => {
      const terraformFound = terraformOnPath();
      const { lines, error } = await run("deploy", "--deployment", "staging");
      // Where no terraform exists, that check comes first: either refusal changes nothing.
      expect(error?.message).toContain(terraformFound ? "no AWS credentials found for region us-east-2" : "terraform was not found");
      expect(lines).not.toContain("build");
    }),
  );

  it("refuses to delete a table unless DELETE_TABLE repeats its name", async () => {
    const { error } = await run("destroy", "--deployment", "staging", "--delete-table", "oops");
    expect(error?.message).toBe("DELETE_TABLE must repeat the table name to delete it: DELETE_TABLE=box-office-staging. Nothing was changed.");
  });

  it("has nothing to plan for the local deployment", async () => {
    const { error } = await run("plan");
    expect(error?.message).toContain("the local deployment has no Terraform to plan");
  });

  it("passes the deployment's state location as backend config and its settings as a JSON var file", async () => {
    expect(backendConfigArgs(staging)).toEqual([
      "-backend-config=bucket=tickets-inc-tf-state",
      "-backend-config=key=box-office/staging.tfstate",
      "-backend-config=region=us-east-2",
      "-backend-config=kms_key_id=arn:aws:kms:us-east-2:210987654321:key/11111111-2222-3333-4444-555555555555",
    ]);
    const { kmsKeyArn: _, ...unkeyed } = staging.state;
    expect(() => backendConfigArgs({ ...staging, state: unkeyed })).toThrow('set "state": { "kmsKeyArn": ... }');
    const dir = mkdtempSync(join(tmpdir(), "tfvars-"));
    const file = writeVars(staging, dir);
    // Zips are named relative to the root Terraform runs in (dist/terraform/<deployment>/).
    const zip = (name: string) => relative(deploymentRoot(FIXTURE, staging), join(dir, `${name}.zip`));
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      deployment: "staging",
      region: "us-east-2",
      function_name: "staging-http",
      table_name: "box-office-staging",
      functions: {
        closePastEvents: {
          zip: zip("closePastEvents"),
          memory_mb: 512,
          timeout_seconds: 120,
          log_level: "info",
          http: false,
          schedule: { expression: "rate(1 hour)", timezone: "UTC" },
        },
        http: { zip: zip("http"), memory_mb: 512, timeout_seconds: 15, log_level: "info", http: true },
        ticketSales: {
          zip: zip("ticketSales"),
          memory_mb: 512,
          timeout_seconds: 20,
          log_level: "debug", // its config's logLevel
          http: false,
          stream: { batch_size: 10, maximum_retry_attempts: 2, maximum_record_age_in_seconds: 600, maximum_batching_window_seconds: 0 },
        },
      },
      lambda_reserved_concurrency: 20,
      log_retention_days: 30,
      api_throttling: { burst_limit: expect.any(Number), rate_limit: expect.any(Number) },
      jwt_issuer: "https://auth.tickets.example/",
      jwt_audiences: ["box-office"],
      metrics_namespace: DEFAULT_METRICS_NAMESPACE,
      routes: expect.objectContaining({ "GET /events/{eventId}": { public: true, scopes: [] } }),
      tags: {},
      tracing: false,
      traffic_shift: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
      backfill_worker_zip: zip("backfillWorker"),
      alarm_email: "",
      alarm_thresholds: {},
    });
    // Every variable the service module declares is set by the file, so no apply ever stops to ask for one.
    const { merged } = await loadInfra();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8"))).sort()).toEqual(Object.keys(merged.variable).sort());
  });
});
