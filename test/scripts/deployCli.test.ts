import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { main } from "../../scripts/deploy";
import { loadDeployment, type AwsDeployment } from "../../scripts/deployments";
import { INFRA_DIR, backendConfigArgs } from "../../scripts/terraform";
import { writeVars } from "../support/functions";
import { NO_AWS_CREDENTIALS, terraformOnPath, withEnv } from "../support/env";
import { loadInfra } from "../support/terraform";

const prod = loadDeployment("prod") as AwsDeployment;

async function run(...args: string[]): Promise<{ lines: string[]; error?: Error }> {
  const lines: string[] = [];
  try {
    await main(args, (line) => lines.push(line));
    return { lines };
  } catch (error) {
    return { lines, error: error as Error };
  }
}

describe("deploy CLI", () => {
  it("names the known deployments when given an unknown one", async () => {
    const { error } = await run("deploy", "--deployment", "staging");
    expect(error?.message).toMatch(/^unknown deployment "staging". Known deployments: local, dev, prod/);
  });

  it(
    "stops before building or touching AWS when terraform is missing",
    withEnv({ PATH: "/nonexistent" }, async () => {
      const { lines, error } = await run("deploy", "--deployment", "prod");
      expect(error?.name).toBe("TerraformError");
      expect(error?.message).toContain("terraform was not found on PATH. Install Terraform >= 1.10");
      expect(lines).not.toContain("build");
    }),
  );

  it(
    "stops before building or touching AWS when there are no credentials",
    withEnv(NO_AWS_CREDENTIALS, async () => {
      const terraformFound = terraformOnPath();
      const { lines, error } = await run("deploy", "--deployment", "prod");
      // Where no terraform exists, that check comes first: either refusal changes nothing.
      expect(error?.message).toContain(terraformFound ? "no AWS credentials found for region eu-west-1" : "terraform was not found");
      expect(lines).not.toContain("build");
    }),
  );

  it("refuses to delete a table unless DELETE_TABLE repeats its name", async () => {
    const { error } = await run("destroy", "--deployment", "prod", "--delete-table", "oops");
    expect(error?.message).toBe("DELETE_TABLE must repeat the table name to delete it: DELETE_TABLE=dynamodb-starter-prod. Nothing was changed.");
  });

  it("has nothing to plan for the local deployment", async () => {
    const { error } = await run("plan");
    expect(error?.message).toContain("the local deployment has no Terraform to plan");
  });

  it("passes the deployment's state location as backend config and its settings as a JSON var file", async () => {
    expect(backendConfigArgs(prod)).toEqual([
      "-backend-config=bucket=my-org-terraform-state",
      "-backend-config=key=dynamodb-starter/prod.tfstate",
      "-backend-config=region=eu-west-1",
      "-backend-config=kms_key_id=arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
    ]);
    const { kmsKeyArn: _, ...unkeyed } = prod.state;
    expect(() => backendConfigArgs({ ...prod, state: unkeyed })).toThrow('set "state": { "kmsKeyArn": ... }');
    const dir = mkdtempSync(join(tmpdir(), "tfvars-"));
    const file = writeVars(prod, dir);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      deployment: "prod",
      region: "eu-west-1",
      function_name: "prod-api",
      table_name: "dynamodb-starter-prod",
      functions: {
        api: { zip: relative(INFRA_DIR, join(dir, "api.zip")), memory_mb: 512, timeout_seconds: 10, http: true },
        memberCountAudit: {
          zip: relative(INFRA_DIR, join(dir, "memberCountAudit.zip")),
          memory_mb: 512,
          timeout_seconds: 300,
          http: false,
          schedule: { expression: "rate(1 day)", timezone: "UTC" },
        },
        memberCounts: {
          zip: relative(INFRA_DIR, join(dir, "memberCounts.zip")),
          memory_mb: 512,
          timeout_seconds: 30,
          http: false,
          stream: { batch_size: 100, maximum_retry_attempts: 3, maximum_record_age_in_seconds: 3600, maximum_batching_window_seconds: 0 },
        },
      },
      lambda_reserved_concurrency: 20,
      log_retention_days: 90,
      api_throttling: { burst_limit: 400, rate_limit: 200 },
      jwt_issuer: "https://login.example.com/",
      jwt_audiences: ["https://api.example.com"],
      routes: expect.objectContaining({ "GET /health": { public: true, scopes: [] }, "POST /users": { public: false, scopes: [] } }),
      tags: { environment: "prod", service: "dynamodb-starter" },
      tracing: true,
      alarm_email: "",
      alarm_thresholds: { api_5xx_rate: 0.01 },
    });
    // Every variable infra/ declares is set by the file, so no apply ever stops to ask for one.
    const { merged } = await loadInfra();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8"))).sort()).toEqual(Object.keys(merged.variable).sort());
  });
});
