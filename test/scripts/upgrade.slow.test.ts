/**
 * `make upgrade` end to end with two clones of this repository: a team's
 * service (its app changed, an example test deleted, a line of its own in the
 * README) takes a template release that changed the kit, the README and the
 * example app (an edited example, one the team deleted, a new one). The kit
 * and README arrive, the team's app stays exactly as committed, and the
 * upgraded service type-checks and passes an app test. A change both sides
 * made to the same lines of a kit file stops the upgrade, changing nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { upgrade, UpgradeError } from "../../scripts/upgrade";

/** The kit's version in the cloned template, and the next minor one the test's upstream releases (set once cloned). */
let CURRENT: string;
let NEXT: string;

const ROOT = resolve(__dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "upgrade-"));
const [upstream, team] = [join(work, "upstream"), join(work, "team")];
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], {
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

const lines: string[] = [];
let teamApp: string;

beforeAll(() => {
  git(work, "clone", "--quiet", ROOT, upstream);
  git(work, "clone", "--quiet", upstream, team);
  symlinkSync(join(ROOT, "node_modules"), join(team, "node_modules")); // ignored by git, like an installed one

  // The team makes the app its own.
  appendFileSync(join(team, "src/app/service.ts"), "\n// The shop's own rules start here.\n");
  writeFileSync(join(team, "src/app/README.md"), "# The shop\n\nOrders and products.\n");
  unlinkSync(join(team, "test/app/badInput.test.ts"));
  appendFileSync(join(team, "README.md"), "\n## Our team's notes\n\nOn call: #shop-oncall.\n");
  git(team, "add", "-A");
  git(team, "commit", "--quiet", "-m", "The shop replaces the example");
  teamApp = git(team, "rev-parse", "HEAD:src/app");

  // The template releases the kit's next minor version, and changes its example app too.
  CURRENT = (JSON.parse(read(upstream, "src/kit/package.json")) as { version: string }).version;
  NEXT = CURRENT.replace(/^(\d+)\.(\d+)\.\d+$/, (_, major: string, minor: string) => `${major}.${Number(minor) + 1}.0`);
  appendFileSync(join(upstream, "src/kit/src/runtime.ts"), `\n/** This release of the kit. */\nexport const KIT_RELEASE = "${NEXT}";\n`);
  json(upstream, "src/kit/package.json", (p) => (p.version = NEXT));
  json(upstream, "package.json", (p) => (p.dependencies["@dynamodb-starter/kit"] = NEXT));
  json(upstream, "package-lock.json", (l) => {
    l.packages[""].dependencies["@dynamodb-starter/kit"] = NEXT;
    l.packages["src/kit"].version = NEXT;
  });
  edit(upstream, "src/kit/CHANGELOG.md", (t) =>
    t.replace(`## ${CURRENT}`, `## ${NEXT} — 2026-12-01\n\n- \`/runtime\`: \`KIT_RELEASE\`, this release's version.\n\n## ${CURRENT}`),
  );
  edit(upstream, "README.md", (t) => t.replace(/^# .*/, (title) => `${title} (now with kit ${NEXT})`));
  appendFileSync(join(upstream, "src/app/service.ts"), "\n// An example change upstream.\n");
  appendFileSync(join(upstream, "src/app/model.ts"), "\nexport const onlyUpstream = 1;\n");
  appendFileSync(join(upstream, "test/app/badInput.test.ts"), "\n// An example test upstream edited.\n");
  writeFileSync(
    join(upstream, "test/app/newExample.test.ts"),
    'import { onlyUpstream } from "../../src/app/model";\n\nit("is new", () => expect(onlyUpstream).toBe(1));\n',
  );
  git(upstream, "add", "-A");
  git(upstream, "commit", "--quiet", "-m", `Kit ${NEXT}`);
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("make upgrade", () => {
  it("brings the kit and template files, keeps the team's app, and leaves a service that type-checks and tests green", async () => {
    const result = await upgrade({ root: team, template: upstream, log: (line) => lines.push(line) });

    expect(result).toMatchObject({ from: CURRENT, to: NEXT });
    expect(read(team, "src/kit/src/runtime.ts")).toContain(`export const KIT_RELEASE = "${NEXT}";`);
    expect(JSON.parse(read(team, "src/kit/package.json")).version).toBe(NEXT);
    expect(read(team, "README.md")).toContain(`(now with kit ${NEXT})`);
    expect(read(team, "README.md")).toMatch(/\(now with kit [\d.]+\)[\s\S]*## Our team's notes/); // both sides' changes, merged
    expect(lines).toEqual(
      expect.arrayContaining([`kit ${CURRENT} -> ${NEXT}; 6 file(s) from the template (1 merged with your changes)`, `## ${NEXT} — 2026-12-01`]),
    );
    expect(JSON.parse(read(team, ".template.json"))).toEqual({ template: upstream, commit: git(upstream, "rev-parse", "HEAD"), kit: NEXT });

    // The team's app, tests and deployments: exactly as the team committed them; no example arrives.
    expect(git(team, "status", "--porcelain", "--", "src/app", "test/app", "infra/deployments.json")).toBe("");
    expect(git(team, "rev-parse", "HEAD:src/app")).toBe(teamApp);
    expect(existsSync(join(team, "test/app/badInput.test.ts"))).toBe(false);
    expect(existsSync(join(team, "test/app/newExample.test.ts"))).toBe(false);

    // The type check ran inside upgrade(); an app test of the team's runs green on the upgraded kit.
    const jest = spawnSync(process.execPath, [join(ROOT, "node_modules/jest/bin/jest.js"), "--ci", "test/app/access.test.ts"], { cwd: team, encoding: "utf8" });
    expect({ status: jest.status, tail: jest.stderr.split("\n").slice(-8).join("\n") }).toMatchObject({ status: 0 });
  }, 180_000);

  it("stops on a kit file both sides changed, names it and says how to resolve it, changing nothing", async () => {
    git(team, "add", "-A");
    git(team, "commit", "--quiet", "-m", `Take kit ${NEXT}`);
    appendFileSync(join(team, "src/kit/src/runtime.ts"), "export const PATCHED_HERE = true;\n");
    git(team, "commit", "--quiet", "-am", "A local patch to the kit");
    appendFileSync(join(upstream, "src/kit/src/runtime.ts"), "export const NEXT_RELEASE = true;\n");
    git(upstream, "commit", "--quiet", "-am", "Kit 0.3.0");
    const before = git(team, "rev-parse", "HEAD");

    const attempt = upgrade({ root: team, template: upstream, log: () => undefined });
    await expect(attempt).rejects.toThrow(UpgradeError);
    await expect(attempt).rejects.toThrow(
      /1 file\(s\) changed both here and in the template; nothing was changed:\n {2}src\/kit\/src\/runtime\.ts {2}\(both changed the same lines\)\nMove your change into a file you own/,
    );
    expect(git(team, "status", "--porcelain")).toBe("");
    expect(git(team, "rev-parse", "HEAD")).toBe(before);
  });

  it("refuses to start on uncommitted changes", async () => {
    appendFileSync(join(team, "Makefile"), "\n");
    await expect(upgrade({ root: team, template: upstream, log: () => undefined })).rejects.toThrow("the working tree has uncommitted changes");
    git(team, "checkout", "--", "Makefile");
  });
});
