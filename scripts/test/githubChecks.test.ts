/**
 * make bootstrap's GitHub checks, against a local HTTP server that answers as GitHub's REST API does (documented
 * shapes, status codes). GitHub has no local engine: this stands in for it at the HTTP boundary, and the client
 * under test is the real one (fetch, headers, status handling).
 */
import { createServer, type Server } from "node:http";
import { loadAwsDeployments, type AwsDeployment } from "../src/deployments";
import { githubApi, GithubCheckError, githubProblems, githubToken, SUBJECT_CLAIMS } from "../src/aws/githubChecks";

type Routes = Record<string, unknown>;
let server: Server;
let base: string;
let routes: Routes = {};
const seen: { path: string; authorization: string | undefined; version: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url!, authorization: req.headers.authorization, version: req.headers["x-github-api-version"] as string | undefined });
    const body = routes[req.url!];
    if (typeof body === "number") return res.writeHead(body).end("{}");
    if (body === undefined) return res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const repo = "acme/api";
const { dev, prod } = Object.fromEntries(loadAwsDeployments()) as Record<"dev" | "prod", AwsDeployment>;
const reviewers = { type: "required_reviewers", reviewers: [{ type: "User", reviewer: { login: "ops" } }] };
const onlyMain = { protected_branches: false, custom_branch_policies: true };
/** A repository whose settings gate both example deployments as infra/deployments.json asks. */
const gated = (): Routes => ({
  [`/repos/${repo}/actions/oidc/customization/sub`]: { use_default: false, include_claim_keys: [...SUBJECT_CLAIMS] },
  [`/repos/${repo}/environments/dev`]: { name: "dev", protection_rules: [], deployment_branch_policy: onlyMain },
  [`/repos/${repo}/environments/dev/deployment-branch-policies`]: { total_count: 1, branch_policies: [{ name: "main", type: "branch" }] },
  [`/repos/${repo}/environments/prod`]: { name: "prod", protection_rules: [reviewers], deployment_branch_policy: onlyMain },
  [`/repos/${repo}/environments/prod/deployment-branch-policies`]: { total_count: 1, branch_policies: [{ name: "main", type: "branch" }] },
});
const problems = (r: Routes) => {
  routes = r;
  return githubProblems(githubApi("t0ken", base), repo, [dev, prod]);
};

describe("make bootstrap's GitHub checks", () => {
  it("pass a repository whose subject names the workflow and whose environments gate branches, and reviewers where required", async () => {
    seen.length = 0;
    expect(await problems(gated())).toEqual([]);
    expect(seen[0]).toEqual({ path: `/repos/${repo}/actions/oidc/customization/sub`, authorization: "Bearer t0ken", version: "2022-11-28" });
  });

  it("refuse GitHub's default subject, or claims in another order, with the command that sets it", async () => {
    const defaults = { ...gated(), [`/repos/${repo}/actions/oidc/customization/sub`]: { use_default: true } };
    const [found] = await problems(defaults);
    expect(found).toContain("GitHub's default");
    expect(found).toContain(
      `gh api -X PUT repos/${repo}/actions/oidc/customization/sub -F use_default=false -f "include_claim_keys[]=repo" -f "include_claim_keys[]=context" -f "include_claim_keys[]=job_workflow_ref"`,
    );
    const reordered = {
      ...gated(),
      [`/repos/${repo}/actions/oidc/customization/sub`]: { use_default: false, include_claim_keys: ["repo", "job_workflow_ref", "context"] },
    };
    expect(await problems(reordered)).toEqual([expect.stringContaining("customised to repo, job_workflow_ref, context")]);
  });

  it("refuse a missing environment, one any branch may deploy from, and one that also lets another branch or a tag deploy", async () => {
    const missing = gated();
    delete missing[`/repos/${repo}/environments/dev`];
    expect(await problems(missing)).toEqual([expect.stringContaining('the GitHub environment "dev" does not exist')]);

    const open = { ...gated(), [`/repos/${repo}/environments/dev`]: { protection_rules: [], deployment_branch_policy: null } };
    expect(await problems(open)).toEqual([expect.stringContaining('the environment "dev" lets any branch deploy: limit its deployment branches to main')]);

    const wide = {
      ...gated(),
      [`/repos/${repo}/environments/dev/deployment-branch-policies`]: {
        branch_policies: [
          { name: "main", type: "branch" },
          { name: "feature/*", type: "branch" },
          { name: "v*", type: "tag" },
        ],
      },
    };
    expect(await problems(wide)).toEqual([expect.stringContaining('also lets branch "feature/*", tag "v*" deploy: allow only main')]);
  });

  it("refuse a deployment that requires reviewers when its environment has none", async () => {
    const unreviewed = {
      ...gated(),
      [`/repos/${repo}/environments/prod`]: { protection_rules: [{ type: "wait_timer", wait_timer: 5 }], deployment_branch_policy: onlyMain },
    };
    expect(await problems(unreviewed)).toEqual([expect.stringContaining('the environment "prod" has no required reviewers')]);
    const empty = {
      ...gated(),
      [`/repos/${repo}/environments/prod`]: { protection_rules: [{ type: "required_reviewers", reviewers: [] }], deployment_branch_policy: onlyMain },
    };
    expect(await problems(empty)).toHaveLength(1);
  });

  it("say what to do when GitHub refuses the token, and when there is no token at all", async () => {
    await expect(problems({ ...gated(), [`/repos/${repo}/actions/oidc/customization/sub`]: 401 })).rejects.toThrow("GitHub refused the token (401)");
    await expect(problems({ ...gated(), [`/repos/${repo}/environments/dev`]: 403 })).rejects.toThrow(GithubCheckError);
    expect(() => githubToken({ PATH: "/nonexistent" })).toThrow("set GITHUB_TOKEN");
    expect(githubToken({ GITHUB_TOKEN: "abc" })).toBe("abc");
  });
});
