/**
 * The foreign-app swap: in a scratch clone of this repository, the fixture app (a ticketing service unlike the
 * example: server-made ids, plain lib-dynamodb, its own stream consumer, job, migrations and deployments) replaces
 * the example in the four places a team owns. Then `make test` (type check, lint, its tests and the checks of its
 * contract) and `make test-slow` (the local deployment's walkthrough over HTTP) pass, and not one file outside those
 * places was touched: the packages and the glue serve an app they were never told about.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkNodeModules, TEMPLATE_ROOT as ROOT } from "./support/env";
import { FIXTURE } from "./support/functions";

const TEAM_OWNS = ["src/app", "src/handlers", "test/app", "infra", "openapi.json"];
const clone = join(mkdtempSync(join(tmpdir(), "swap-")), "service");

/** make in the clone, whose installed packages are this repository's (linked), its own workspaces its own. */
const make = (target: string) =>
  spawnSync("make", ["--no-print-directory", target], {
    cwd: clone,
    encoding: "utf8",
    env: { ...process.env, LOCAL_STATE_DIR: join(clone, ".local") },
    timeout: 600_000,
  });
const tail = (run: ReturnType<typeof make>) => `${run.stdout}\n${run.stderr}`.split("\n").slice(-25).join("\n");

beforeAll(() => {
  execFileSync("git", ["clone", "--quiet", ROOT, clone]);
  linkNodeModules(clone);
  // The clone's lock file is this repository's, byte for byte, but checked out just now: dated back, it is older than
  // the installed tree, so make's install step (npm ci, which would empty the linked packages) never runs.
  if (!readFileSync(join(clone, "package-lock.json")).equals(readFileSync(join(ROOT, "package-lock.json")))) throw new Error("commit package-lock.json first");
  utimesSync(join(clone, "package-lock.json"), new Date(0), new Date(0));
  for (const owned of TEAM_OWNS) {
    rmSync(join(clone, owned), { recursive: true, force: true });
    cpSync(join(FIXTURE.root, owned), join(clone, owned), { recursive: true });
  }
}, 60_000);
afterAll(() => rmSync(join(clone, ".."), { recursive: true, force: true }));

describe("the fixture app swapped in for the example", () => {
  it("passes make test and make test-slow, with no file outside what a team owns touched", () => {
    const test = make("test");
    expect({ status: test.status, tail: tail(test) }).toEqual({ status: 0, tail: expect.stringMatching(/tests: \d+ passed, 0 failed/) });
    // The checks ran against the fixture's contract: its functions' permissions, its migrations, its seed.
    expect(test.stdout + test.stderr).toMatch(/PASS scripts\/checks\/lambdaPermissions\.test\.ts/);

    const slow = make("test-slow");
    expect({ status: slow.status, tail: tail(slow) }).toEqual({ status: 0, tail: expect.stringMatching(/tests: [1-9]\d* passed, 0 failed/) });
    expect(slow.stdout + slow.stderr).toMatch(/PASS scripts\/checks\/localDeployment\.slow\.test\.ts/);

    // Every change in the clone is inside what the team owns.
    const changed = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: clone, encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((line) => line.slice(3));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((path) => !TEAM_OWNS.some((owned) => path === owned || path.startsWith(`${owned}/`)))).toEqual([]);
  }, 900_000);
});
