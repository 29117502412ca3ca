/**
 * `make bootstrap`: once per AWS account, creates what `make deploy` from CI
 * needs and cannot create for itself (infra/bootstrap/: the state bucket,
 * GitHub's OIDC provider, a deploy and a plan role per deployment).
 *
 * Everything comes from infra/deployments.json (the repository from its
 * "github" section, or from the git remote), written to a var file; the same
 * checks as `make deploy` run first (terraform, credentials), plus one for
 * the bucket: a name taken by another account, or a bucket that exists but
 * is not in the bootstrap's state, stops it with the fix. Nothing is changed
 * before terraform shows its plan.
 */
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, createClient } from "@dynamodb-starter/kit/runtime";
import { runCli } from "./cli";
import { httpFunction, loadFunctions, type FunctionSpec } from "./functions";
import { assertCredentials } from "./credentials";
import { DEPLOYMENTS_FILE, loadAwsDeployments, loadGithubSettings } from "./deployments";
import { assertTerraform, functionName, INFRA_DIR, TerraformError } from "./terraform";

export const BOOTSTRAP_DIR = join(INFRA_DIR, "bootstrap");

export interface BootstrapVars {
  region: string;
  state_bucket: string;
  github_repository: string;
  deploy_branches: string[];
  github_oidc_provider_arn: string;
  functions: Record<string, { table_actions: string[]; stream: boolean; schedule: boolean }>;
  deployments: Record<
    string,
    {
      region: string;
      table_name: string;
      state_key: string;
      function_name: string;
      tracing: boolean;
      plan_from_pull_requests: boolean;
      create_user_pool: boolean;
    }
  >;
}

/** The bootstrap's variables, from infra/deployments.json and the git remote; refuses what it cannot bootstrap. */
export function bootstrapVars(
  file = DEPLOYMENTS_FILE,
  gitRemote: () => string | undefined = originUrl,
  functions: readonly FunctionSpec[] = loadFunctions(),
): BootstrapVars {
  const deployments = [...loadAwsDeployments(file).values()];
  if (deployments.length === 0) throw new ConfigError(`${file} defines no AWS deployment: there is nothing to bootstrap.`);
  const buckets = new Set(deployments.map((d) => `${d.state.bucket} (${d.state.region})`));
  if (buckets.size > 1) {
    throw new ConfigError(
      `make bootstrap creates one state bucket, but ${file} names ${buckets.size}: ${[...buckets].join(", ")}. ` +
        `Give every deployment the same state bucket and region (their keys differ). Nothing was changed.`,
    );
  }
  const github = loadGithubSettings(file);
  const repository = github.repository ?? repositoryOf(gitRemote());
  if (!repository) {
    throw new ConfigError(
      `cannot tell which GitHub repository deploys: the git remote "origin" is not on github.com. ` +
        `Add "github": { "repository": "owner/name" } to ${file}. Nothing was changed.`,
    );
  }
  const [first] = deployments;
  return {
    region: first!.state.region,
    state_bucket: first!.state.bucket,
    github_repository: repository,
    deploy_branches: github.deployBranches,
    github_oidc_provider_arn: github.oidcProviderArn ?? "",
    // What each function sends, as its handler module declares it: its role gets exactly these.
    functions: Object.fromEntries(
      functions.map(({ name, kind, config }) => [
        name,
        { table_actions: config.dynamodbActions.map((action) => `dynamodb:${action}`), stream: kind === "stream", schedule: kind === "schedule" },
      ]),
    ),
    deployments: Object.fromEntries(
      deployments.map((d) => [
        d.name,
        {
          region: d.region,
          table_name: d.tableName,
          state_key: d.state.key,
          function_name: functionName(d, httpFunction(functions).name),
          tracing: d.tracing,
          plan_from_pull_requests: d.planFromPullRequests,
          create_user_pool: d.auth.createUserPool,
          cors_allow_origins: d.api.corsOrigins,
        },
      ]),
    ),
  };
}

/** owner/name of a github.com remote URL (https or ssh), or undefined. */
export function repositoryOf(url: string | undefined): string | undefined {
  const match = url?.trim().match(/github\.com[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

function originUrl(): string | undefined {
  const git = spawnSync("git", ["remote", "get-url", "origin"], { encoding: "utf8" });
  return git.status === 0 ? git.stdout : undefined;
}

export async function main(argv: string[], log: (line: string) => void = console.log, file = DEPLOYMENTS_FILE): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "auto-approve": { type: "boolean", default: false } } });
  if (positionals.length > 0) throw new ConfigError("usage: bootstrap [--auto-approve]");
  const vars = bootstrapVars(file);
  log(
    `bootstrap: state bucket ${vars.state_bucket} in ${vars.region}; roles for ${Object.keys(vars.deployments).join(", ")}, assumable from ${vars.github_repository}`,
  );
  log(`  terraform ${assertTerraform()}`);
  const client = createClient({ region: vars.region });
  try {
    await assertCredentials(client, vars.region);
  } finally {
    client.destroy();
  }
  log("  AWS credentials found");
  await assertBucketIsOursToCreate(vars, log);

  const varFile = resolve(__dirname, "..", "dist", "terraform", "bootstrap.tfvars.json");
  mkdirSync(resolve(varFile, ".."), { recursive: true });
  writeFileSync(varFile, `${JSON.stringify(vars, null, 2)}\n`);
  await terraform(["init", "-input=false"]);
  await terraform(["apply", "-input=false", `-var-file=${varFile}`, ...(values["auto-approve"] ? ["-auto-approve"] : [])]);
  log(
    [
      "",
      "bootstrap done. Its state is infra/bootstrap/terraform.tfstate (local, git-ignored): keep it.",
      "Next, in GitHub (README, Deploying from CI): create the environments and set their AWS_ROLE_ARN variables from",
      "  terraform -chdir=infra/bootstrap output deploy_role_arns",
      "  terraform -chdir=infra/bootstrap output plan_role_arns",
    ].join("\n"),
  );
}

/** A bucket name belongs to one account worldwide: stop before terraform tries to create one that exists. */
async function assertBucketIsOursToCreate(vars: BootstrapVars, log: (line: string) => void): Promise<void> {
  const managed = existsSync(join(BOOTSTRAP_DIR, "terraform.tfstate"));
  const s3 = new S3Client({ region: vars.region });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: vars.state_bucket }));
    if (!managed) {
      throw new ConfigError(
        `state bucket "${vars.state_bucket}" already exists in this account but not in the bootstrap's state. Bring it under management first:\n` +
          `  terraform -chdir=infra/bootstrap init && terraform -chdir=infra/bootstrap import -var-file=dist/terraform/bootstrap.tfvars.json aws_s3_bucket.state ${vars.state_bucket}\n` +
          `(or name another bucket in infra/deployments.json). Nothing was changed.`,
      );
    }
    log(`  state bucket ${vars.state_bucket} exists and is managed here`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return log(`  state bucket ${vars.state_bucket} does not exist yet: it will be created`);
    if (status === 403) {
      throw new ConfigError(
        `state bucket name "${vars.state_bucket}" is taken by another AWS account (bucket names are global). ` +
          `Choose another one for every deployment in infra/deployments.json. Nothing was changed.`,
      );
    }
    throw error;
  } finally {
    s3.destroy();
  }
}

function terraform(args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("terraform", [`-chdir=${BOOTSTRAP_DIR}`, ...args], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolvePromise() : reject(new TerraformError(`terraform ${args[0]} (bootstrap) failed (exit ${code}); its output is above.`)),
    );
  });
}

runCli(module, "bootstrap", () => main(process.argv.slice(2)));
