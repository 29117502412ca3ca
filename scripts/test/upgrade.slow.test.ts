/**
 * `make upgrade` end to end. The service was made from the template with
 * GitHub's "Use this template": the template's files, committed afresh, so no
 * history is shared and no .template.json exists; it works on a branch named
 * `trunk`, has made the app its own (the fixture app in place of the
 * example) and added a line to the README. The template releases, on a
 * branch named `release-line`, a kit, a CLI and a Terraform module that all
 * changed. The packages arrive whole, the README's two changes merge, the
 * team's files stay exactly as committed, and the service type-checks and
 * passes its tests. A packaged file edited in the service stops the next
 * upgrade, named, changing nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { upgrade, UpgradeError } from "../src/upgrade";
import { linkNodeModules, TEMPLATE_ROOT as ROOT } from "./support/env";
import { FIXTURE } from "./support/functions";

const work = mkdtempSync(join(tmpdir(), "upgrade-"));
const [upstream, team] = [join(work, "upstream"), join(work, "team")];
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=trunk", ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
const read = (repo: string, path: string) => readFileSync(join(repo, path), "utf8");
const edit = (repo: string, path: string, change: (text: string) => string) => writeFileSync(join(repo, path), change(read(repo, path)));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- package.json and package-lock.json, edited by key
const json = (repo: string, path: string, change: (value: any) => void) =>
  edit(repo, path, (text) => {
    const value = JSON.parse(text);
    change(value);
    return JSON.stringify(value, null, 2) + "\n";
  });
const nextMinor = (version: string) => version.replace(/^(\d+)\.(\d+)\.\d+$/, (_, major: string, minor: string) => `${major}.${Number(minor) + 1}.0`);

const lines: string[] = [];
let teamOwned: Record<string, string>;
const versions = { kit: { from: "", to: "" }, cli: { from: "", to: "" } };

beforeAll(() => {
  // The template as published: this repository's committed files, on a branch of its own.
  git(work, "clone", "--quiet", ROOT, upstream);
  git(upstream, "checkout", "--quiet", "-b", "release-line");

  // "Use this template": the same files, one fresh commit, no shared history.
  mkdirSync(team);
  execFileSync("sh", ["-c", `git -C "${upstream}" archive HEAD | tar -x -C "${team}"`]);
  git(team, "init", "--quiet");
  linkNodeModules(team); // ignored by git, like an installed one
  git(team, "add", "-A");
  git(team, "commit", "--quiet", "-m", "Initial commit");

  // The team makes the app its own: the fixture app replaces the example; a line of its own in the README.
  for (const owned of ["src/app", "src/handlers", "test/app", "infra", "openapi.json"]) {
    rmSync(join(team, owned), { recursive: true, force: true });
    cpSync(join(FIXTURE.root, owned), join(team, owned), { recursive: true });
  }
  appendFileSync(join(team, "README.md"), "\n## Our team's notes\n\nOn call: #box-office.\n");
  git(team, "add", "-A");
  git(team, "commit", "--quiet", "-m", "The box office replaces the example");
  teamOwned = Object.fromEntries(
    ["src/app", "src/handlers", "test/app", "infra", "openapi.json"].map((path) => [path, git(team, "rev-parse", `HEAD:${path}`)]),
  );

  // The template releases the kit's and the CLI's next minor versions, with a changed Terraform module.
  versions.kit.from = JSON.parse(read(upstream, "src/kit/package.json")).version;
  versions.cli.from = JSON.parse(read(upstream, "scripts/package.json")).version;
  versions.kit.to = nextMinor(versions.kit.from);
  versions.cli.to = nextMinor(versions.cli.from);
  appendFileSync(join(upstream, "src/kit/src/runtime.ts"), `\n/** This release of the kit. */\nexport const KIT_RELEASE = "${versions.kit.to}";\n`);
  appendFileSync(join(upstream, "scripts/src/format.ts"), `\n/** This release of the CLI. */\nexport const CLI_RELEASE = "${versions.cli.to}";\n`);
  appendFileSync(
    join(upstream, "scripts/terraform/service/outputs.tf"),
    '\noutput "release" {\n  description = "The CLI release that deployed."\n  value       = "next"\n}\n',
  );
  json(upstream, "src/kit/package.json", (p) => (p.version = versions.kit.to));
  json(upstream, "scripts/package.json", (p) => {
    p.version = versions.cli.to;
    p.dependencies["@dynamodb-starter/kit"] = versions.kit.to;
  });
  json(upstream, "package.json", (p) => {
    p.dependencies["@dynamodb-starter/kit"] = versions.kit.to;
    p.devDependencies["@dynamodb-starter/cli"] = versions.cli.to;
  });
  json(upstream, "package-lock.json", (l) => {
    l.packages[""].dependencies["@dynamodb-starter/kit"] = versions.kit.to;
    l.packages[""].devDependencies["@dynamodb-starter/cli"] = versions.cli.to;
    l.packages["src/kit"].version = versions.kit.to;
    l.packages["scripts"].version = versions.cli.to;
    l.packages["scripts"].dependencies["@dynamodb-starter/kit"] = versions.kit.to;
  });
  for (const [folder, name, what] of [
    ["src/kit", "kit", "`/runtime`: `KIT_RELEASE`, this release's version."],
    ["scripts", "cli", "`CLI_RELEASE`; the service module outputs `release`."],
  ] as const) {
    const from = versions[name].from;
    edit(upstream, `${folder}/CHANGELOG.md`, (t) => t.replace(`## ${from}`, `## ${versions[name].to} — 2026-12-04\n\n- ${what}\n\n## ${from}`));
  }
  edit(upstream, "README.md", (t) => t.replace(/^# .*/, (title) => `${title} (now with kit ${versions.kit.to})`));
  appendFileSync(join(upstream, "src/app/service.ts"), "\n// An example change upstream: never reaches a service.\n");
  git(upstream, "add", "-A");
  git(upstream, "commit", "--quiet", "-m", "Kit and CLI: next release");
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("make upgrade", () => {
  it("replaces the packages, merges the glue and keeps the team's files, in a repository that shares no history with the template", async () => {
    const result = await upgrade({ root: team, template: upstream, ref: "release-line", log: (line) => lines.push(line) });

    expect(result).toMatchObject({
      from: { "src/kit/": versions.kit.from, "scripts/": versions.cli.from },
      to: { "src/kit/": versions.kit.to, "scripts/": versions.cli.to },
    });
    expect(read(team, "src/kit/src/runtime.ts")).toContain(`export const KIT_RELEASE = "${versions.kit.to}";`);
    expect(read(team, "scripts/src/format.ts")).toContain(`export const CLI_RELEASE = "${versions.cli.to}";`);
    expect(read(team, "scripts/terraform/service/outputs.tf")).toContain('output "release"');
    expect(read(team, "README.md")).toMatch(/\(now with kit [\d.]+\)[\s\S]*## Our team's notes/); // both sides' changes, merged
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^kit ${versions.kit.from} -> ${versions.kit.to}, cli ${versions.cli.from} -> ${versions.cli.to}: \\d+ packaged file\\(s\\) replaced, 3 of the glue \\(1 merged with your changes\\)$`,
          ),
        ),
        `## ${versions.kit.to} — 2026-12-04`,
        `## ${versions.cli.to} — 2026-12-04`,
      ]),
    );
    expect(JSON.parse(read(team, ".template.json"))).toEqual({
      template: upstream,
      commit: git(upstream, "rev-parse", "HEAD"),
      kit: versions.kit.to,
      cli: versions.cli.to,
    });

    // The team's app, handlers, tests and infra/: exactly as committed; no example change arrives.
    expect(git(team, "status", "--porcelain", "--", "src/app", "src/handlers", "test/app", "infra", "openapi.json")).toBe("");
    for (const [path, tree] of Object.entries(teamOwned)) expect(git(team, "rev-parse", `HEAD:${path}`)).toBe(tree);

    // The type check ran inside upgrade(); the team's own tests run green on the new packages.
    const jest = spawnSync(process.execPath, [join(ROOT, "node_modules/jest/bin/jest.js"), "--ci", "test/app"], { cwd: team, encoding: "utf8" });
    expect({ status: jest.status, tail: jest.stderr.split("\n").slice(-8).join("\n") }).toMatchObject({ status: 0 });
  }, 240_000);

  it("refuses, naming it, a packaged file edited in the service, and changes nothing", async () => {
    git(team, "add", "-A");
    git(team, "commit", "--quiet", "-m", "Take the next release");
    appendFileSync(join(team, "scripts/terraform/service/lambda.tf"), "# patched here\n");
    git(team, "commit", "--quiet", "-am", "A local patch to the CLI's module");
    appendFileSync(join(upstream, "src/kit/src/runtime.ts"), "export const NEXT_RELEASE = true;\n");
    git(upstream, "commit", "--quiet", "-am", "Kit: another release");
    const before = git(team, "rev-parse", "HEAD");

    const attempt = upgrade({ root: team, template: upstream, ref: "release-line", log: () => undefined });
    await expect(attempt).rejects.toThrow(UpgradeError);
    await expect(attempt).rejects.toThrow(
      /1 packaged file\(s\) differ from the template's release [0-9a-f]{12}; an upgrade replaces them, so nothing was changed:\n {2}scripts\/terraform\/service\/lambda\.tf\n/,
    );
    expect(git(team, "status", "--porcelain")).toBe("");
    expect(git(team, "rev-parse", "HEAD")).toBe(before);
  });

  it("refuses to start on uncommitted changes", async () => {
    appendFileSync(join(team, "Makefile"), "\n");
    await expect(upgrade({ root: team, template: upstream, ref: "release-line", log: () => undefined })).rejects.toThrow(
      "the working tree has uncommitted changes",
    );
    git(team, "checkout", "--", "Makefile");
  });
});
