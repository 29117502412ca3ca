/**
 * `make upgrade TEMPLATE=<git url or path>`: brings in what the template owns
 * (the kit and its tests, scripts, Makefile, workflows, infra) from the
 * template's branch, and keeps what the team owns (TEAM_OWNS). A three-way
 * merge per file against the template commit the service last took (recorded
 * in .template.json; on a first upgrade, the commit both histories share):
 * a file only the template changed is taken, one only the team changed is
 * kept, one both changed is merged line by line. Any conflict stops the
 * upgrade before it writes anything. Then the type check runs, and the kit's
 * CHANGELOG entries since the service's version are printed. Nothing is
 * committed: review `git diff`, run `make test`, commit.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { StarterError } from "@dynamodb-starter/kit/runtime";
import { runCli } from "./cli";

/** What the team owns: never read from the template, never written by an upgrade. */
export const TEAM_OWNS = ["src/app/", "src/handlers/", "test/app/", "infra/deployments.json", ".template.json"];
export const VERSION_FILE = ".template.json";
const KIT_PACKAGE = "src/kit/package.json";
const KIT_NAME = "@dynamodb-starter/kit";
const CHANGELOG = "src/kit/CHANGELOG.md";

export class UpgradeError extends StarterError<"UPGRADE"> {
  override name = "UpgradeError";
  constructor(message: string) {
    super("UPGRADE", message);
  }
}

export interface UpgradeOptions {
  root: string;
  template: string;
  ref?: string;
  log?: (line: string) => void;
}

type Change = { path: string; content: Buffer | null; how: "template" | "merged" };

const isTeamOwned = (path: string) => TEAM_OWNS.some((owned) => (owned.endsWith("/") ? path.startsWith(owned) : path === owned));

export async function upgrade({ root, template, ref = "main", log = console.log }: UpgradeOptions): Promise<{ changed: string[]; from: string; to: string }> {
  const { git, blob } = repository(root);
  if (git("status", "--porcelain"))
    throw new UpgradeError("the working tree has uncommitted changes: commit or stash them first, so the upgrade's changes stand alone in `git diff`.");

  log(`fetching ${ref} of ${template}`);
  try {
    git("fetch", "--quiet", "--no-tags", template, ref);
  } catch (error) {
    throw new UpgradeError(`cannot fetch "${ref}" from ${template}: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`);
  }
  const theirs = git("rev-parse", "FETCH_HEAD");
  const base = baseCommit(git, root, theirs);
  const [oldVersion, newVersion] = [kitVersion(git, "HEAD"), kitVersion(git, theirs)];

  const { changes, conflicts } = plan(git, blob, base, theirs);
  if (conflicts.length) {
    throw new UpgradeError(
      `${conflicts.length} file(s) changed both here and in the template; nothing was changed:\n` +
        conflicts.map((c) => `  ${c}`).join("\n") +
        `\nMove your change into a file you own (${TEAM_OWNS.filter((owned) => owned !== VERSION_FILE).join(", ")}), or merge these files by hand:\n` +
        `  git show ${theirs.slice(0, 12)}:<file> > <file>   # the template's version, then re-apply your change\n` +
        "and commit; then run the upgrade again.",
    );
  }
  for (const change of changes) apply(root, change);
  writeFileSync(join(root, VERSION_FILE), JSON.stringify({ template, commit: theirs, kit: newVersion }, null, 2) + "\n");

  log(
    `kit ${oldVersion} -> ${newVersion}; ${changes.length} file(s) from the template (${changes.filter((c) => c.how === "merged").length} merged with your changes)`,
  );
  for (const change of changes) log(`  ${change.content === null ? "deleted" : change.how === "merged" ? "merged " : "updated"}  ${change.path}`);
  for (const line of changelogSince(readFileSync(join(root, CHANGELOG), "utf8"), oldVersion)) log(line);

  if (changes.some((c) => c.path === "package.json" || c.path === "package-lock.json") && dependenciesChanged(git, root)) {
    log("dependencies changed: npm ci");
    execFileSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  }
  log("type check (tsc --noEmit)");
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", root], { encoding: "utf8" });
  if (tsc.status !== 0) {
    throw new UpgradeError(
      `the upgrade is in the working tree, but the type check fails:\n${tsc.stdout.trim()}\nFix your code for the kit's changes above, or undo the upgrade with: git checkout -- . && git clean -fd`,
    );
  }
  log("upgraded: review `git diff`, run `make test`, then commit (git add -A && git commit)");
  return { changed: changes.map((c) => c.path), from: oldVersion, to: newVersion };
}

/** The template commit this service last took: the one recorded by the previous upgrade, else the history both share. */
function baseCommit(git: Git, root: string, theirs: string): string {
  const file = join(root, VERSION_FILE);
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { commit?: string }).commit : undefined;
  if (recorded && spawnSync("git", ["cat-file", "-e", `${recorded}^{commit}`], { cwd: root }).status === 0) return recorded;
  try {
    return git("merge-base", "HEAD", theirs);
  } catch {
    throw new UpgradeError(
      `this repository shares no history with the template and ${VERSION_FILE} names no template commit it has. ` +
        `Write the commit you started from into ${VERSION_FILE} as {"commit": "<sha>"}, fetch it, and run the upgrade again.`,
    );
  }
}

/** Per file of the template's tree (and of the base), what the upgrade would write, or why it cannot. */
function plan(git: Git, blob: (id: string) => Buffer, base: string, theirs: string): { changes: Change[]; conflicts: string[] } {
  const tree = (commit: string) =>
    new Map(
      git("ls-tree", "-r", commit)
        .split("\n")
        .filter(Boolean)
        .map((line) => [line.split("\t")[1]!, line.split(/\s+/)[2]!]),
    );
  const [b, t, o] = [tree(base), tree(theirs), tree("HEAD")];
  const changes: Change[] = [];
  const conflicts: string[] = [];
  for (const path of new Set([...b.keys(), ...t.keys()])) {
    if (isTeamOwned(path)) continue;
    const [was, now, ours] = [b.get(path), t.get(path), o.get(path)];
    if (now === was || now === ours) continue; // the template did not change it, or the team already has it
    if (ours === was) changes.push({ path, content: now ? blob(now) : null, how: "template" });
    else if (was && now && ours) {
      const merged = mergeFile(blob(ours), blob(was), blob(now));
      if (merged) changes.push({ path, content: merged, how: "merged" });
      else conflicts.push(`${path}  (both changed the same lines)`);
    } else conflicts.push(`${path}  (${ours ? "changed here" : "deleted here"}, ${now ? "changed" : "deleted"} in the template)`);
  }
  return { changes: changes.sort((x, y) => x.path.localeCompare(y.path)), conflicts: conflicts.sort() };
}

type Git = (...args: string[]) => string;

function repository(root: string): { git: Git; blob: (id: string) => Buffer } {
  return {
    git: (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(),
    blob: (id) => execFileSync("git", ["cat-file", "blob", id], { cwd: root }),
  };
}

/** `git merge-file` of three versions: the merged text, or null on a conflict. */
function mergeFile(ours: Buffer, base: Buffer, theirs: Buffer): Buffer | null {
  const dir = mkdtempSync(join(tmpdir(), "upgrade-merge-"));
  try {
    const [o, b, t] = ["ours", "base", "theirs"].map((name) => join(dir, name)) as [string, string, string];
    writeFileSync(o, ours);
    writeFileSync(b, base);
    writeFileSync(t, theirs);
    const run = spawnSync("git", ["merge-file", "-p", o, b, t]);
    return run.status === 0 ? run.stdout : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function apply(root: string, { path, content }: Change): void {
  const file = join(root, path);
  if (content === null) {
    if (existsSync(file)) unlinkSync(file);
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function kitVersion(git: Git, commit: string): string {
  try {
    return (JSON.parse(git("show", `${commit}:${KIT_PACKAGE}`)) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/** Whether the template's package.json asks for other packages than this one did (a version bump of the kit itself does not). */
function dependenciesChanged(git: Git, root: string): boolean {
  const deps = (text: string) => {
    const pkg = JSON.parse(text) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const { [KIT_NAME]: _kit, ...dependencies } = pkg.dependencies ?? {}; // the workspace itself: linked, not installed
    return JSON.stringify([dependencies, pkg.devDependencies]);
  };
  return deps(git("show", "HEAD:package.json")) !== deps(readFileSync(join(root, "package.json"), "utf8"));
}

/** The CHANGELOG's sections for versions newer than `since`. */
function changelogSince(changelog: string, since: string): string[] {
  const newer = (v: string) => {
    const [a, b] = [v, since].map((x) => x.split(".").map(Number));
    for (let i = 0; i < 3; i++) if (a![i] !== b![i]) return a![i]! > b![i]!;
    return false;
  };
  const sections = changelog.split(/^(?=## )/m).filter((s) => s.startsWith("## "));
  return sections.filter((s) => newer(/^## (\d+\.\d+\.\d+)/.exec(s)?.[1] ?? "0.0.0")).flatMap((s) => s.trimEnd().split("\n"));
}

function parseArgs(argv: string[]): UpgradeOptions {
  const value = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const template = value("--template");
  if (!template) throw new UpgradeError("usage: make upgrade TEMPLATE=<git url or path of the template> [REF=main]");
  return { root: resolve(__dirname, ".."), template, ref: value("--ref") ?? "main" };
}

runCli(module, "upgrade", () => upgrade(parseArgs(process.argv.slice(2))));
