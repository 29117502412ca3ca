/**
 * What `make bootstrap` checks in GitHub before it trusts a repository's
 * workflows with AWS roles: each role's trust names a workflow file, a ref and
 * an environment (scripts/terraform/bootstrap/github.tf), and that holds only if GitHub
 * puts them in the token's subject and gates the environments:
 * - the repository's OIDC subject is customised to repo, context and
 *   job_workflow_ref, in that order;
 * - each deployment's environment exists and lets only its deploy branches
 *   deploy (no wildcard, no tag rule);
 * - a deployment that requires reviewers has at least one.
 * Read with the GitHub REST API (GITHUB_API_URL for GitHub Enterprise Server).
 */
import { spawnSync } from "node:child_process";
import { StarterError } from "@dynamodb-starter/kit/runtime";
import type { AwsDeployment } from "../deployments";

/** The claims the subject must carry, in order: the trust policies spell the subject in this shape. */
export const SUBJECT_CLAIMS = ["repo", "context", "job_workflow_ref"] as const;

export class GithubCheckError extends StarterError<"GITHUB_CHECK"> {
  override name = "GithubCheckError";
  constructor(message: string) {
    super("GITHUB_CHECK", message);
  }
}

export interface GithubApi {
  /** The JSON body of GET `path`, or undefined for a 404. */
  get(path: string): Promise<unknown>;
}

/** A client of GitHub's REST API with `token`; any status but 200 and 404 is an error that says what to do. */
export function githubApi(token: string, baseUrl = process.env.GITHUB_API_URL || "https://api.github.com"): GithubApi {
  return {
    async get(path) {
      const response = await fetch(`${baseUrl.replace(/\/$/, "")}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
      });
      if (response.status === 404) return undefined;
      if (response.status === 401)
        throw new GithubCheckError("GitHub refused the token (401): set GITHUB_TOKEN to a valid token, or log in with `gh auth login`.");
      if (response.status === 403) {
        throw new GithubCheckError(
          `GitHub answered 403 for ${path}: the token needs read access to the repository's administration (environments, OIDC settings).`,
        );
      }
      if (!response.ok) throw new GithubCheckError(`GitHub answered ${response.status} for ${path}: ${(await response.text()).slice(0, 300)}`);
      return response.json();
    },
  };
}

/** GITHUB_TOKEN, else the GitHub CLI's token; refuses, saying how to get one, when neither is there. */
export function githubToken(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_TOKEN) return env.GITHUB_TOKEN;
  const gh = spawnSync("gh", ["auth", "token"], { encoding: "utf8", env });
  if (gh.status === 0 && gh.stdout.trim()) return gh.stdout.trim();
  throw new GithubCheckError(
    "make bootstrap reads the repository's environments and OIDC settings from GitHub, and has no token: set GITHUB_TOKEN " +
      "(a token with read access to the repository's administration) or log in with `gh auth login`. Nothing was changed.",
  );
}

interface Environment {
  protection_rules?: { type: string; reviewers?: unknown[] }[];
  deployment_branch_policy?: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

/** Every problem found, each with its fix; an empty list means the trust can be created. */
export async function githubProblems(api: GithubApi, repository: string, deployments: readonly AwsDeployment[]): Promise<string[]> {
  const problems = [...(await subjectProblems(api, repository))];
  for (const d of deployments) problems.push(...(await environmentProblems(api, repository, d)));
  return problems;
}

async function subjectProblems(api: GithubApi, repository: string): Promise<string[]> {
  const subject = (await api.get(`/repos/${repository}/actions/oidc/customization/sub`)) as
    { use_default?: boolean; include_claim_keys?: string[] } | undefined;
  const keys = subject?.use_default === false ? (subject.include_claim_keys ?? []) : [];
  if (keys.join() === SUBJECT_CLAIMS.join()) return [];
  return [
    `the repository's OIDC subject is ${keys.length ? `customised to ${keys.join(", ")}` : "GitHub's default"}; the deploy roles trust a subject that names ` +
      `the workflow file. Set it (as a repository admin):\n    gh api -X PUT repos/${repository}/actions/oidc/customization/sub -F use_default=false ` +
      SUBJECT_CLAIMS.map((k) => `-f "include_claim_keys[]=${k}"`).join(" "),
  ];
}

async function environmentProblems(api: GithubApi, repository: string, d: AwsDeployment): Promise<string[]> {
  const where = `Settings → Environments → ${d.name}`;
  const environment = (await api.get(`/repos/${repository}/environments/${encodeURIComponent(d.name)}`)) as Environment | undefined;
  if (!environment)
    return [
      `the GitHub environment "${d.name}" does not exist: create it (${where}) with deployment branches limited to ${d.github.deployBranches.join(", ")}.`,
    ];
  const problems: string[] = [];
  const policy = environment.deployment_branch_policy;
  if (!policy) {
    problems.push(`the environment "${d.name}" lets any branch deploy: limit its deployment branches to ${d.github.deployBranches.join(", ")} (${where}).`);
  } else if (policy.custom_branch_policies) {
    const listed = (await api.get(`/repos/${repository}/environments/${encodeURIComponent(d.name)}/deployment-branch-policies`)) as
      { branch_policies?: { name: string; type?: string }[] } | undefined;
    const extra = (listed?.branch_policies ?? []).filter((p) => p.type === "tag" || !d.github.deployBranches.includes(p.name));
    if (extra.length) {
      problems.push(
        `the environment "${d.name}" also lets ${extra.map((p) => `${p.type ?? "branch"} "${p.name}"`).join(", ")} deploy: allow only ${d.github.deployBranches.join(", ")} (${where}).`,
      );
    }
  }
  if (d.github.requireReviewers && !environment.protection_rules?.some((r) => r.type === "required_reviewers" && (r.reviewers?.length ?? 0) > 0)) {
    problems.push(
      `the environment "${d.name}" has no required reviewers, and infra/deployments.json requires them: add the people who approve its deploys (${where}).`,
    );
  }
  return problems;
}
