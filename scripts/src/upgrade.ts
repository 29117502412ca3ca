/**
 * `make upgrade TEMPLATE=<git url or path> [REF=main]`: takes a newer release
 * of the template. Its packages (PACKAGED: the kit, the CLI with its
 * Terraform, docs and checks) are replaced wholesale: a team never edits them,
 * and an upgrade refuses, naming the files, when one was edited. The thin glue
 * (Makefile, workflows, root configs, package.json, this README) is merged
 * three ways against the release the service last took, so a line of the
 * team's own survives. What the team owns (TEAM_OWNS) is never read from the
 * template nor written.
 *
 * The release the service last took is the one .template.json records, or
 * else the newest template commit whose packaged folders are exactly the
 * service's: a repository made with GitHub's "Use this template" (no shared
 * history) upgrades like a clone. Any branch, here or there. Then the type
 * check runs, and both packages' CHANGELOG entries since the service's
 * versions are printed. Nothing is committed: review `git diff`, run
 * `make test`, commit.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { StarterError } from "@dynamodb-starter/kit/runtime";
import { project, type Project } from "./project";

/** What the team owns: never read from the template, never written by an upgrade. */
export const TEAM_OWNS = ["src/app/", "src/handlers/", "test/app/", "infra/", "openapi.json", "bench/", "team.mk", ".template.json"];
/** The packages, replaced whole: folder -> its package.json and CHANGELOG. */
export const PACKAGED = ["src/kit/", "scripts/"] as const;
export const VERSION_FILE = ".template.json";

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

type Change = { path: string; content: Buffer | null; how: "package" | "template" | "merged" };
type Tree = Map<string, string>;
type Versions = Record<(typeof PACKAGED)[number], string>;

const isTeamOwned = (path: string) => TEAM_OWNS.some((owned) => (owned.endsWith("/") ? path.startsWith(owned) : path === owned));
const packageOf = (path: string) => PACKAGED.find((folder) => path.startsWith(folder));

export async function upgrade({
  root,
  template,
  ref = "main",
  log = console.log,
}: UpgradeOptions): Promise<{ changed: string[]; from: Versions; to: Versions }> {
  const { git, blob, tree } = repository(root);
  if (git("status", "--porcelain"))
    throw new UpgradeError("the working tree has uncommitted changes: commit or stash them first, so the upgrade's changes stand alone in `git diff`.");

  log(`fetching ${ref} of ${template}`);
  try {
    git("fetch", "--quiet", "--no-tags", template, ref);
  } catch (error) {
    throw new UpgradeError(`cannot fetch "${ref}" from ${template}: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`);
  }
  const theirs = git("rev-parse", "FETCH_HEAD");
  const ours = tree("HEAD");
  const base = baseCommit(git, tree, root, theirs, ours);
  const [from, to] = [versions(git, "HEAD"), versions(git, theirs)];

  const { changes, conflicts } = plan(tree(base), tree(theirs), ours, blob);
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
  writeFileSync(join(root, VERSION_FILE), `${JSON.stringify({ template, commit: theirs, kit: to["src/kit/"], cli: to["scripts/"] }, null, 2)}\n`);

  const count = (how: Change["how"]) => changes.filter((c) => c.how === how).length;
  log(
    `kit ${from["src/kit/"]} -> ${to["src/kit/"]}, cli ${from["scripts/"]} -> ${to["scripts/"]}: ` +
      `${count("package")} packaged file(s) replaced, ${count("template") + count("merged")} of the glue (${count("merged")} merged with your changes)`,
  );
  for (const change of changes.filter((c) => c.how !== "package"))
    log(`  ${change.content === null ? "deleted" : change.how === "merged" ? "merged " : "updated"}  ${change.path}`);
  for (const folder of PACKAGED) {
    const changelog = join(root, folder, "CHANGELOG.md");
    if (existsSync(changelog)) for (const line of changelogSince(readFileSync(changelog, "utf8"), from[folder])) log(line);
  }

  if (dependenciesChanged(git, root)) {
    log("dependencies changed: npm install");
    execFileSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
  log("type check (tsc --noEmit)");
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", root], { encoding: "utf8" });
  if (tsc.status !== 0) {
    throw new UpgradeError(
      `the upgrade is in the working tree, but the type check fails:\n${tsc.stdout.trim()}\nFix your code for the changes above, or undo the upgrade with: git checkout -- . && git clean -fd`,
    );
  }
  log("upgraded: review `git diff`, run `make test`, then commit (git add -A && git commit)");
  return { changed: changes.map((c) => c.path), from, to };
}

/**
 * The template release this service last took: the commit .template.json records, else the newest template commit
 * whose packaged folders are exactly this service's. Where none is, a packaged file was edited here: refused, naming
 * the files that differ from the closest release.
 */
function baseCommit(git: Git, tree: (commit: string) => Tree, root: string, theirs: string, ours: Tree): string {
  const file = join(root, VERSION_FILE);
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { commit?: string }).commit : undefined;
  const packaged = (t: Tree) => [...t].filter(([path]) => packageOf(path));
  const edited = (t: Tree) => {
    const mine = new Map(packaged(ours));
    const paths = new Set([...mine.keys(), ...packaged(t).map(([path]) => path)]);
    return [...paths].filter((path) => mine.get(path) !== t.get(path)).sort();
  };
  const fail = (differing: string[], release: string) =>
    new UpgradeError(
      `${differing.length} packaged file(s) differ from the template's release ${release.slice(0, 12)}; an upgrade replaces them, so nothing was changed:\n` +
        differing.map((path) => `  ${path}`).join("\n") +
        `\nPackaged folders (${PACKAGED.join(", ")}) are never edited in a service: undo the change (git checkout ${release.slice(0, 12)} -- <file>, ` +
        "after fetching the template), and make it through an extension point (team.mk, infra/*.tf, your configs) or in the template itself.",
    );

  if (recorded && spawnSync("git", ["cat-file", "-e", `${recorded}^{commit}`], { cwd: root }).status === 0) {
    const differing = edited(tree(recorded));
    if (differing.length) throw fail(differing, recorded);
    return recorded;
  }
  // The template's history, newest first: the first release whose packages are ours is where we stand.
  let closest: { commit: string; differing: string[] } | undefined;
  for (const commit of git("rev-list", "--first-parent", theirs).split("\n").filter(Boolean)) {
    const differing = edited(tree(commit));
    if (differing.length === 0) return commit;
    if (!closest || differing.length < closest.differing.length) closest = { commit, differing };
  }
  throw fail(closest!.differing, closest!.commit);
}

/** Per file of the template's tree (and of the base), what the upgrade would write, or why it cannot. */
function plan(b: Tree, t: Tree, o: Tree, blob: (id: string) => Buffer): { changes: Change[]; conflicts: string[] } {
  const changes: Change[] = [];
  const conflicts: string[] = [];
  for (const path of new Set([...b.keys(), ...t.keys(), ...o.keys()])) {
    if (isTeamOwned(path)) continue;
    const [was, now, mine] = [b.get(path), t.get(path), o.get(path)];
    if (packageOf(path)) {
      // Replaced whole: the base check proved the service's copy is the release's.
      if (now !== mine) changes.push({ path, content: now ? blob(now) : null, how: "package" });
      continue;
    }
    if (now === was || now === mine) continue; // the template did not change it, or the service already has it
    if (mine === was) changes.push({ path, content: now ? blob(now) : null, how: "template" });
    else if (was && now && mine) {
      const merged = mergeFile(blob(mine), blob(was), blob(now));
      if (merged) changes.push({ path, content: merged, how: "merged" });
      else conflicts.push(`${path}  (both changed the same lines)`);
    } else conflicts.push(`${path}  (${mine ? "changed here" : "deleted here"}, ${now ? "changed" : "deleted"} in the template)`);
  }
  return { changes: changes.sort((x, y) => x.path.localeCompare(y.path)), conflicts: conflicts.sort() };
}

type Git = (...args: string[]) => string;

function repository(root: string): { git: Git; blob: (id: string) => Buffer; tree: (commit: string) => Tree } {
  const git: Git = (...args) =>
    execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }).trim();
  const trees = new Map<string, Tree>();
  return {
    git,
    blob: (id) => execFileSync("git", ["cat-file", "blob", id], { cwd: root, maxBuffer: 64 * 1024 * 1024 }),
    tree: (commit) => {
      if (!trees.has(commit)) {
        const entries = git("ls-tree", "-r", commit).split("\n").filter(Boolean);
        trees.set(commit, new Map(entries.map((line) => [line.split("\t")[1]!, line.split(/\s+/)[2]!])));
      }
      return trees.get(commit)!;
    },
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

/** Each package's version at `commit` (0.0.0 where it has none). */
function versions(git: Git, commit: string): Versions {
  const version = (folder: string) => {
    try {
      return (JSON.parse(git("show", `${commit}:${folder}package.json`)) as { version: string }).version;
    } catch {
      return "0.0.0";
    }
  };
  return { "src/kit/": version("src/kit/"), "scripts/": version("scripts/") };
}

/** Whether the packages ask for other dependencies than before (the workspaces' own versions aside: they are linked). */
function dependenciesChanged(git: Git, root: string): boolean {
  const deps = (read: (path: string) => string) =>
    JSON.stringify(
      ["package.json", ...PACKAGED.map((folder) => `${folder}package.json`)].map((path) => {
        const pkg = JSON.parse(read(path)) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string>; version?: string };
        const outside = (list: Record<string, string> = {}) => Object.entries(list).filter(([name]) => !name.startsWith("@dynamodb-starter/"));
        return [outside(pkg.dependencies), outside(pkg.devDependencies)];
      }),
    );
  return deps((path) => git("show", `HEAD:${path}`)) !== deps((path) => readFileSync(join(root, path), "utf8"));
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

function parseArgs(argv: string[], p: Project): UpgradeOptions {
  const value = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const template = value("--template");
  if (!template) throw new UpgradeError("usage: make upgrade TEMPLATE=<git url or path of the template> [REF=main]");
  return { root: p.root, template, ref: value("--ref") ?? "main" };
}

/** `make upgrade TEMPLATE=... [REF=...]`. */
export const main = (argv: string[], p: Project = project()) => upgrade(parseArgs(argv, p));
