/**
 * `make bootstrap`: once per AWS account (and again when functions or
 * deployments change), creates what `make deploy` from CI needs and cannot
 * create for itself (scripts/terraform/bootstrap/: the state bucket, GitHub's OIDC
 * provider, a deploy and a plan role per deployment, the functions' roles,
 * the alarm on a table's protections), then turns on the protections of the
 * tables that declare them (protectTables.ts).
 *
 * Everything comes from infra/deployments.json (the repository from its
 * "github" section, or from the git remote), written to a var file; the same
 * checks as `make deploy` run first (terraform, credentials), plus the
 * bucket's (a name taken by another account, or a bucket that exists but is
 * not in the bootstrap's state) and GitHub's (githubChecks.ts): each stops
 * it with the fix. Nothing is changed before terraform shows its plan.
 */
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, createClient } from "@dynamodb-starter/kit/runtime";
import { httpFunction, loadFunctions, type FunctionSpec } from "../functions";
import { checkCredentials } from "./credentials";
import { loadAccountSettings, loadAwsDeployments, type AwsDeployment } from "../deployments";
import { project, type Project } from "../project";
import { githubApi, GithubCheckError, githubProblems, githubToken, type GithubApi } from "./githubChecks";
import { isProtected, protectTables } from "./protectTables";
import { assembleRoot, assertTerraform, BOOTSTRAP_MODULE, functionName, terraform } from "./terraform";
/** The workflow files the roles trust (their jobs' job_workflow_ref), relative to the repository's root. */
export const DEPLOY_WORKFLOW = ".github/workflows/deploy.yml";
export const PULL_REQUEST_WORKFLOW = ".github/workflows/pull-request.yml";
export const RESTORE_DRILL_WORKFLOW = ".github/workflows/restore-drill.yml";

export interface BootstrapVars {
  region: string;
  state_bucket: string;
  github_repository: string;
  github_oidc_provider_arn: string;
  deploy_workflow: string;
  pull_request_workflow: string;
  restore_drill_workflow: string;
  state_key_break_glass_arn: string;
  functions: Record<string, { table_actions: string[]; http: boolean; stream: boolean; schedule: boolean }>;
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
      cors_allow_origins: string[];
      deploy_branches: string[];
      protected: boolean;
      alarm_email: string;
    }
  >;
}

/** The bootstrap's variables, from infra/deployments.json and the git remote; refuses what it cannot bootstrap. */
export function bootstrapVars(
  file = project().deploymentsFile,
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
  const { github, bootstrap } = loadAccountSettings(file);
  if (!bootstrap.breakGlassRoleArn) {
    throw new ConfigError(
      `name a break-glass role in ${file}: "bootstrap": { "breakGlassRoleArn": "arn:aws:iam::<account>:role/<name>" }, a role few ` +
        `people can assume (MFA, an audited process). It administers the state's KMS key beside you, so the key outlives your role. Nothing was changed.`,
    );
  }
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
    github_oidc_provider_arn: github.oidcProviderArn ?? "",
    deploy_workflow: DEPLOY_WORKFLOW,
    pull_request_workflow: PULL_REQUEST_WORKFLOW,
    restore_drill_workflow: RESTORE_DRILL_WORKFLOW,
    state_key_break_glass_arn: bootstrap.breakGlassRoleArn,
    functions: functionGrants(functions),
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
          deploy_branches: d.github.deployBranches,
          protected: isProtected(d),
          alarm_email: d.alarms.email ?? "",
        },
      ]),
    ),
  };
}

/** What each function sends, as its handler module declares it: the bootstrap gives its role exactly these. */
export function functionGrants(functions: readonly FunctionSpec[]): BootstrapVars["functions"] {
  return Object.fromEntries(
    functions.map(({ name, kind, config }) => [
      name,
      {
        table_actions: config.dynamodbActions.map((action) => `dynamodb:${action}`),
        http: kind === "http",
        stream: kind === "stream",
        schedule: kind === "schedule",
      },
    ]),
  );
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

/** Where the bootstrap's own (local) state lives: in the service's repository, git-ignored, beside nothing of ours. */
export const bootstrapStateFile = (p: Project) => join(p.infraDir, "bootstrap", "terraform.tfstate");

export async function main(
  argv: string[],
  log: (line: string) => void = console.log,
  p: Project = project(),
  { file = p.deploymentsFile, github = () => githubApi(githubToken()) }: { file?: string; github?: () => GithubApi } = {},
): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "auto-approve": { type: "boolean", default: false } } });
  if (positionals.length > 0) throw new ConfigError("usage: bootstrap [--auto-approve]");
  const vars = bootstrapVars(file, originUrl, loadFunctions(p));
  const deployments = [...loadAwsDeployments(file).values()];
  log(
    `bootstrap: state bucket ${vars.state_bucket} in ${vars.region}; roles for ${Object.keys(vars.deployments).join(", ")}, assumable from ${vars.github_repository}`,
  );
  log(`  terraform ${assertTerraform()}`);
  await checkCredentials(vars.region, log);
  await assertBucketIsOursToCreate(vars, existsSync(bootstrapStateFile(p)), log);
  await assertGithubGatesDeploys(github(), vars.github_repository, deployments, log);

  const root = assembleRoot(p, "bootstrap", BOOTSTRAP_MODULE, { withTeamFiles: false });
  const varFile = join(p.distDir, "terraform", "bootstrap.tfvars.json");
  writeFileSync(varFile, `${JSON.stringify(vars, null, 2)}\n`);
  mkdirSync(dirname(bootstrapStateFile(p)), { recursive: true });
  await terraform(root, ["init", "-input=false", "-reconfigure", `-backend-config=path=${bootstrapStateFile(p)}`]);
  await terraform(root, ["apply", "-input=false", `-var-file=${varFile}`, ...(values["auto-approve"] ? ["-auto-approve"] : [])]);
  const clients = new Map<string, ReturnType<typeof createClient>>();
  try {
    await protectTables(deployments, (d) => clients.get(d.region) ?? clients.set(d.region, createClient({ region: d.region })).get(d.region)!, log);
  } finally {
    for (const client of clients.values()) client.destroy();
  }
  log(
    [
      "",
      `bootstrap done. Its state is ${relative(p.root, bootstrapStateFile(p))} (local, git-ignored): keep it.`,
      "Next, in GitHub (README, Deploying from CI): create the environments and set their AWS_ROLE_ARN variables from",
      `  terraform -chdir=${relative(p.root, root)} output deploy_role_arns`,
      `  terraform -chdir=${relative(p.root, root)} output plan_role_arns`,
    ].join("\n"),
  );
}

/** The trust names a workflow, a ref and an environment: only GitHub's own settings make those mean something. */
async function assertGithubGatesDeploys(api: GithubApi, repository: string, deployments: readonly AwsDeployment[], log: (line: string) => void) {
  const problems = await githubProblems(api, repository, deployments);
  if (problems.length) {
    throw new GithubCheckError(`GitHub does not gate the deploys of ${repository} yet:\n${problems.map((p) => `  - ${p}`).join("\n")}\nNothing was changed.`);
  }
  log(`  GitHub: OIDC subject names the workflow; environments ${deployments.map((d) => d.name).join(", ")} gate their branches and reviewers`);
}

/** A bucket name belongs to one account worldwide: stop before terraform tries to create one that exists. */
async function assertBucketIsOursToCreate(vars: BootstrapVars, managed: boolean, log: (line: string) => void): Promise<void> {
  const s3 = new S3Client({ region: vars.region });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: vars.state_bucket }));
    if (!managed) {
      throw new ConfigError(
        `state bucket "${vars.state_bucket}" already exists in this account but not in the bootstrap's state. Bring it under management first:\n` +
          `  terraform -chdir=dist/terraform/bootstrap import -var-file=../bootstrap.tfvars.json aws_s3_bucket.state ${vars.state_bucket}\n` +
          `  (after a first make bootstrap has assembled and initialised that folder, and stopped here)\n` +
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
