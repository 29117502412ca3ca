/** Runs Terraform in infra/ for one AWS deployment: its own backend state, its variables from deployments.json. */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { contract } from "../src/app/contract";
import { apiRouteTable, ConfigError, StarterError } from "@dynamodb-starter/kit/runtime";
import type { Artifact } from "./build";
import type { AwsDeployment } from "./deployments";
import { httpFunction, type FunctionSpec } from "./functions";
import type { ScheduleTrigger, StreamTrigger } from "@dynamodb-starter/kit/runtime";

export const INFRA_DIR = resolve(__dirname, "..", "infra");
const MIN_VERSION = [1, 10];

export class TerraformError extends StarterError<"TERRAFORM"> {
  override name = "TerraformError";
  constructor(message: string) {
    super("TERRAFORM", message);
  }
}

/** A function of a deployment: `<deployment>-<handler>`. */
export const functionName = (deployment: Pick<AwsDeployment, "name">, handler: string) => `${deployment.name}-${handler}`;

/** Each function as infra/variables.tf takes it: its zip, sizing (the deployment's unless its config says), and trigger. */
export function functionVars(deployment: AwsDeployment, functions: readonly FunctionSpec[], zips: ReadonlyMap<string, string>) {
  return Object.fromEntries(
    functions.map(({ name, kind, config }) => {
      const trigger = config.trigger as { stream?: StreamTrigger; schedule?: ScheduleTrigger };
      const zip = zips.get(name);
      if (!zip) throw new TerraformError(`no built zip for the function "${name}"`);
      return [
        name,
        {
          zip: relative(INFRA_DIR, zip),
          memory_mb: config.memoryMb ?? deployment.lambda.memoryMb,
          timeout_seconds: config.timeoutSeconds ?? deployment.lambda.timeoutSeconds,
          http: kind === "http",
          ...(trigger.stream
            ? {
                stream: {
                  batch_size: trigger.stream.batchSize,
                  maximum_retry_attempts: trigger.stream.maximumRetryAttempts,
                  maximum_record_age_in_seconds: trigger.stream.maximumRecordAgeSeconds,
                  maximum_batching_window_seconds: trigger.stream.maximumBatchingWindowSeconds ?? 0,
                },
              }
            : {}),
          ...(trigger.schedule ? { schedule: { expression: trigger.schedule.expression, timezone: trigger.schedule.timezone ?? "UTC" } } : {}),
        },
      ];
    }),
  );
}

/** Checks that a terraform binary >= 1.10 is on PATH; returns its version. */
export function assertTerraform(env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync("terraform", ["version", "-json"], { encoding: "utf8", env });
  if (result.error || result.status !== 0) {
    throw new TerraformError(
      "terraform was not found on PATH. Install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install, " +
        "or `brew install hashicorp/tap/terraform`), then run the command again. Nothing was changed.",
    );
  }
  const version = String((JSON.parse(result.stdout) as { terraform_version?: string }).terraform_version ?? "0.0.0");
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < MIN_VERSION[0]! || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]!)) {
    throw new TerraformError(`terraform ${version} is too old: this configuration needs >= 1.10 (S3 state locking with use_lockfile). Nothing was changed.`);
  }
  return version;
}

/** Variables for infra/variables.tf, written as a JSON var file so tags and quoting need no shell escaping. */
export function writeVarFile(
  deployment: AwsDeployment,
  functions: readonly FunctionSpec[],
  artifacts: readonly Pick<Artifact, "name" | "zipFile">[],
  dir = resolve(__dirname, "..", "dist", "terraform"),
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${deployment.name}.tfvars.json`);
  const vars = {
    deployment: deployment.name,
    region: deployment.region,
    function_name: functionName(deployment, httpFunction(functions).name),
    table_name: deployment.tableName,
    functions: functionVars(deployment, functions, new Map(artifacts.map((a) => [a.name, a.zipFile]))),
    log_retention_days: deployment.lambda.logRetentionDays,
    lambda_reserved_concurrency: deployment.lambda.reservedConcurrency,
    api_throttling: { burst_limit: deployment.api.throttlingBurst, rate_limit: deployment.api.throttlingRate },
    jwt_issuer: deployment.auth.issuer,
    jwt_audiences: deployment.auth.audiences,
    // The app's route table: every route reaches API Gateway with its authorization, none is listed by hand.
    routes: Object.fromEntries(apiRouteTable(contract.api).map(({ routeKey, public: open, scopes }) => [routeKey, { public: open, scopes }])),
    tags: deployment.tags,
    tracing: deployment.tracing,
    alarm_email: deployment.alarms.email ?? "",
    // Only the thresholds the deployment sets: infra/variables.tf has the defaults.
    alarm_thresholds: Object.fromEntries(
      Object.entries({
        lambda_errors: deployment.alarms.lambdaErrors,
        duration_ratio: deployment.alarms.durationRatio,
        api_5xx_rate: deployment.alarms.api5xxRate,
        api_4xx_rate: deployment.alarms.api4xxRate,
        dynamodb_throttles: deployment.alarms.dynamodbThrottles,
      }).filter(([, value]) => value !== undefined),
    ),
  };
  writeFileSync(file, `${JSON.stringify(vars, null, 2)}\n`);
  return file;
}

export function backendConfigArgs(deployment: AwsDeployment): string[] {
  const { bucket, key, region, kmsKeyArn } = deployment.state;
  if (!kmsKeyArn) {
    throw new ConfigError(
      `deployment "${deployment.name}" names no KMS key for its Terraform state: set "state": { "kmsKeyArn": ... } in ` +
        `infra/deployments.json to the bootstrap's key (terraform -chdir=infra/bootstrap output state_kms_key_arn). Nothing was changed.`,
    );
  }
  return [`-backend-config=bucket=${bucket}`, `-backend-config=key=${key}`, `-backend-config=region=${region}`, `-backend-config=kms_key_id=${kmsKeyArn}`];
}

/**
 * Runs terraform with the deployment's own data directory, so switching
 * deployments never reuses another one's backend or providers.
 */
export function terraform(deployment: AwsDeployment, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("terraform", [`-chdir=${INFRA_DIR}`, ...args], {
      stdio: "inherit",
      env: { ...process.env, TF_DATA_DIR: join(".terraform", "deployments", deployment.name), TF_IN_AUTOMATION: process.env.CI ? "1" : "" },
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolvePromise() : reject(new TerraformError(`terraform ${args[0]} failed (exit ${code}); its output is above.`)),
    );
  });
}
