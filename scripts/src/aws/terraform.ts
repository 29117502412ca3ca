/**
 * Runs Terraform for one AWS deployment: its own backend state, its variables from deployments.json. The
 * configuration is the CLI's (terraform/service/), assembled with the service's own .tf files (infra/*.tf, if
 * any) into a root of the deployment's own under dist/terraform/: the team adds resources beside ours without
 * editing a file of ours, and an upgrade replaces ours without a merge.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { apiRouteTable, ConfigError, DEFAULT_LOG_LEVEL, DEFAULT_METRICS_NAMESPACE, StarterError } from "@dynamodb-starter/kit/runtime";
import type { Artifact } from "../build";
import type { AwsDeployment } from "../deployments";
import { httpFunction, type FunctionSpec } from "../functions";
import type { ScheduleTrigger, StreamTrigger } from "@dynamodb-starter/kit/runtime";
import { CLI_ROOT, loadContract, project, type Project } from "../project";
import { codeDeployConfig } from "./release";
import { BACKFILL_WORKER } from "../build";

/** The deployment's Terraform configuration, and the bootstrap's: the CLI's own files. */
export const SERVICE_MODULE = join(CLI_ROOT, "terraform", "service");
export const BOOTSTRAP_MODULE = join(CLI_ROOT, "terraform", "bootstrap");
const MIN_VERSION = [1, 10];

/**
 * The root Terraform runs in, `dist/terraform/<name>/`: the module's files (with its sub-folders: tests, policies,
 * its lock file) and, unless told otherwise, the service's own `infra/*.tf` beside them. Rewritten each time
 * (Terraform's own .terraform folder stays); a file of the service's named like one of ours is refused.
 */
export function assembleRoot(p: Project, name: string, module = SERVICE_MODULE, { withTeamFiles = true } = {}): string {
  const root = join(p.distDir, "terraform", name);
  mkdirSync(root, { recursive: true });
  for (const entry of readdirSync(root)) if (entry !== ".terraform") rmSync(join(root, entry), { recursive: true, force: true });
  // The configuration's committed lock file comes with it: init then holds the providers to its versions and checksums.
  cpSync(module, root, { recursive: true });
  const ours = new Set(readdirSync(module));
  const theirs = withTeamFiles && existsSync(p.infraDir) ? readdirSync(p.infraDir).filter((f) => f.endsWith(".tf")) : [];
  const clash = theirs.filter((f) => ours.has(f));
  if (clash.length) {
    throw new TerraformError(
      `${clash.map((f) => `infra/${f}`).join(", ")} ha${clash.length > 1 ? "ve" : "s"} the name of a file of the template's Terraform: rename ${clash.length > 1 ? "them" : "it"} (any other name works). Nothing was changed.`,
    );
  }
  for (const file of theirs) cpSync(join(p.infraDir, file), join(root, file));
  return root;
}

export class TerraformError extends StarterError<"TERRAFORM"> {
  override name = "TerraformError";
  constructor(message: string) {
    super("TERRAFORM", message);
  }
}

/** A function of a deployment: `<deployment>-<handler>`. */
export const functionName = (deployment: Pick<AwsDeployment, "name">, handler: string) => `${deployment.name}-${handler}`;

/** Each function as the configuration's variables.tf takes it: its zip (relative to `root`), sizing (the deployment's unless its config says), and trigger. */
export function functionVars(deployment: AwsDeployment, functions: readonly FunctionSpec[], zips: ReadonlyMap<string, string>, root: string) {
  return Object.fromEntries(
    functions.map(({ name, kind, config }) => {
      const trigger = config.trigger as { stream?: StreamTrigger; schedule?: ScheduleTrigger };
      const zip = zips.get(name);
      if (!zip) throw new TerraformError(`no built zip for the function "${name}"`);
      return [
        name,
        {
          zip: relative(root, zip),
          memory_mb: config.memoryMb ?? deployment.lambda.memoryMb,
          timeout_seconds: config.timeoutSeconds ?? deployment.lambda.timeoutSeconds,
          log_level: config.logLevel ?? DEFAULT_LOG_LEVEL,
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

/** The deployment's root (dist/terraform/<name>/): where the var file's paths are relative to. */
export const deploymentRoot = (p: Project, d: Pick<AwsDeployment, "name">) => join(p.distDir, "terraform", d.name);

/** The backfill worker's zip among the built artifacts (build.ts, buildBackfillWorker). */
function workerZip(artifacts: readonly Pick<Artifact, "name" | "zipFile">[]): string {
  const worker = artifacts.find((a) => a.name === BACKFILL_WORKER);
  if (!worker) throw new TerraformError(`no built backfill worker among the artifacts (${BACKFILL_WORKER}.zip): build it with the functions`);
  return worker.zipFile;
}

/** Variables for the configuration's variables.tf, written as a JSON var file so tags and quoting need no shell escaping. */
export function writeVarFile(
  deployment: AwsDeployment,
  functions: readonly FunctionSpec[],
  artifacts: readonly Pick<Artifact, "name" | "zipFile">[],
  p: Project = project(),
  dir = join(p.distDir, "terraform"),
): string {
  mkdirSync(dir, { recursive: true });
  const contract = loadContract(p);
  const file = join(dir, `${deployment.name}.tfvars.json`);
  const vars = {
    deployment: deployment.name,
    region: deployment.region,
    function_name: functionName(deployment, httpFunction(functions).name),
    table_name: deployment.tableName,
    functions: functionVars(deployment, functions, new Map(artifacts.map((a) => [a.name, a.zipFile])), deploymentRoot(p, deployment)),
    log_retention_days: deployment.lambda.logRetentionDays,
    lambda_reserved_concurrency: deployment.lambda.reservedConcurrency,
    api_throttling: { burst_limit: deployment.api.throttlingBurst, rate_limit: deployment.api.throttlingRate },
    jwt_issuer: deployment.auth.issuer,
    jwt_audiences: deployment.auth.audiences,
    // The app's route table: every route reaches API Gateway with its authorization, none is listed by hand.
    // The kit's metric lines name this namespace (METRICS_NAMESPACE); alarms and the dashboard read them there.
    metrics_namespace: DEFAULT_METRICS_NAMESPACE,
    routes: Object.fromEntries(apiRouteTable(contract.api).map(({ routeKey, public: open, scopes }) => [routeKey, { public: open, scopes }])),
    tags: deployment.tags,
    tracing: deployment.tracing,
    traffic_shift: codeDeployConfig(deployment.release.shift),
    // The backfill state machine's worker: created by Terraform, its code uploaded by the pre-step before a run.
    backfill_worker_zip: relative(deploymentRoot(p, deployment), workerZip(artifacts)),
    alarm_email: deployment.alarms.email ?? "",
    // Only the thresholds the deployment sets: scripts/terraform/service/variables.tf has the defaults.
    alarm_thresholds: Object.fromEntries(
      Object.entries({
        lambda_errors: deployment.alarms.lambdaErrors,
        duration_ratio: deployment.alarms.durationRatio,
        api_5xx_rate: deployment.alarms.api5xxRate,
        api_4xx_rate: deployment.alarms.api4xxRate,
        dynamodb_throttles: deployment.alarms.dynamodbThrottles,
        route_latency_p99_ms: deployment.alarms.routeLatencyP99Ms,
        route_5xx: deployment.alarms.route5xx,
        capacity_ratio: deployment.alarms.capacityRatio,
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
        `infra/deployments.json to the bootstrap's key (its output state_kms_key_arn: terraform -chdir=dist/terraform/bootstrap output). Nothing was changed.`,
    );
  }
  return [`-backend-config=bucket=${bucket}`, `-backend-config=key=${key}`, `-backend-config=region=${region}`, `-backend-config=kms_key_id=${kmsKeyArn}`];
}

/**
 * Runs terraform in `root`, an assembled root of one deployment (assembleRoot): each deployment has its own
 * folder and with it its own .terraform, so switching deployments never reuses another one's backend or providers.
 */
export function terraform(root: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("terraform", [`-chdir=${root}`, ...args], {
      stdio: "inherit",
      env: { ...process.env, TF_IN_AUTOMATION: process.env.CI ? "1" : "" },
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolvePromise() : reject(new TerraformError(`terraform ${args[0]} failed (exit ${code}); its output is above.`)),
    );
  });
}

/** An output of the root's state (terraform output -json <name>), parsed. */
export function terraformOutput<T>(root: string, name: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("terraform", [`-chdir=${root}`, "output", "-json", name], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolvePromise(JSON.parse(out) as T) : reject(new TerraformError(`terraform output ${name} failed (exit ${code}); its output is above.`)),
    );
  });
}
