/**
 * `make test-compat [BASE=ref]`: the previous release keeps working on the table this revision leaves, and this
 * revision works on the table the previous release filled. The base revision (by default the merge base with main,
 * or the commit before a clean HEAD) is checked out in a scratch worktree, and each side runs through its own built
 * HTTP function against DynamoDB Local:
 *
 * 1. The base fills a table (its migrations, its walkthrough, its load setup). Then each expand this revision adds
 *    (what a deploy applies before the shift) is applied, one at a time, and after each the base runs its
 *    walkthrough again, its reads and a create on what it wrote before: the previous release still serving.
 * 2. The base fills another table; every pending migration of this revision is applied (contracts too: the shift is
 *    over); this revision runs its walkthrough, and its reads and a create on what the base wrote.
 *
 * A failure names the migration and the request. Migrations are frozen history: a base migration this revision no
 * longer lists, in the same place, is refused.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { ConfigError, LOCAL_REGION, createClient, createDocumentClient, type Migration } from "@dynamodb-starter/kit/runtime";
import { callerClaims, walk, withCaptured, type CallerClaims, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { ensureTable, migrator, splitAtContract } from "@dynamodb-starter/kit/ops";
import { apiGatewayEvent, jwtContext } from "@dynamodb-starter/kit/testing";
import { buildEntry } from "../build";
import { httpFunction, loadFunctions } from "../functions";
import { BuiltFunction } from "../local/builtFunction";
import { startLocalDynamo } from "../local/dynamoDbLocal";
import { loadContract, project, tsxEntry, type Project } from "../project";
import { linkInstalledPackages } from "../scratch";

/** What the check needs of one revision's app. */
export interface AppSide {
  migrations: { name: string; kind: string }[];
  callers: Record<string, CallerClaims>;
  walkthrough: SampleRequest[];
  load: { setup: SampleRequest[]; reads: SampleRequest[]; creates: SampleRequest[] };
  httpHandler: string;
}

export interface CompatResult {
  /** The base revision compared with, or undefined when there was none to compare with. */
  base?: string;
  failures: string[];
}

/** The revision to compare with: the merge base with main; the commit before HEAD when that is HEAD and the tree is clean. */
export function defaultBase(root: string): string | undefined {
  const git = (...args: string[]) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  const head = git("rev-parse", "HEAD").stdout.trim();
  if (!head) return undefined;
  if (git("rev-parse", "--is-shallow-repository").stdout.trim() === "true")
    throw new ConfigError(
      "this clone is shallow: the previous release is not in it. Fetch the history (git fetch --unshallow; in GitHub Actions, checkout's fetch-depth: 0), or name one: BASE=<ref>.",
    );
  const main =
    ["main", "origin/main"]
      .map((ref) => git("merge-base", "HEAD", ref))
      .find((r) => r.status === 0)
      ?.stdout.trim() ?? head;
  const dirty = git("status", "--porcelain", "--untracked-files=no").stdout.trim() !== "" || git("status", "--porcelain").stdout.includes("?? ");
  if (main !== head || dirty) return main;
  const parent = git("rev-parse", "--verify", "--quiet", "HEAD~1");
  return parent.status === 0 ? parent.stdout.trim() : undefined;
}

/** Sends sample requests through `api` as their callers; a reply other than the expected status is a failure. */
function requester(api: BuiltFunction, callers: Record<string, CallerClaims>, failures: string[], context: string) {
  return async (request: SampleRequest) => {
    const { method, path, query, body } = request;
    const event = apiGatewayEvent({
      method,
      rawPath: path,
      rawQueryString: query ? new URLSearchParams(query).toString() : "",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      jwt: jwtContext(callerClaims({ callers }, request)),
    });
    const { statusCode, body: text } = await api.send(event);
    if (statusCode !== request.status) failures.push(`${context}: ${method} ${path} answered ${statusCode}, expected ${request.status}: ${text.slice(0, 300)}`);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: statusCode, body: parsed };
  };
}

/**
 * On data another release wrote: a side's reads and one of its creates, with what that release's walkthrough and
 * load setup captured (a request naming anything else is left out). Returns how many were sent.
 */
async function exercise(side: AppSide, round: number, send: (r: SampleRequest) => Promise<unknown>, captured: Record<string, string>): Promise<number> {
  let sent = 0;
  for (const request of [...side.load.reads, side.load.creates[round % side.load.creates.length]!]) {
    let filled: SampleRequest;
    try {
      filled = withCaptured(request, captured);
    } catch {
      continue; // it names a value the other release did not capture: none of that release's data to touch
    }
    await send(filled);
    sent++;
  }
  return sent;
}

/** The current revision, as the check sees a side. */
function currentSide(p: Project): AppSide & { index: readonly Migration[] } {
  const contract = loadContract(p);
  return {
    migrations: contract.api.migrations.map(({ name, kind }) => ({ name, kind: kind ?? "expand" })),
    index: contract.api.migrations,
    callers: contract.callers,
    walkthrough: [...contract.walkthrough],
    load: {
      setup: [...contract.load.setup],
      reads: [...contract.load.reads],
      creates: Array.from({ length: 8 }, (_, k) => contract.load.create(900_000 + k).request),
    },
    httpHandler: httpFunction(loadFunctions(p)).file,
  };
}

/** The base revision's side, from its own worktree. */
function baseSide(worktree: string): AppSide {
  const run = spawnSync(process.execPath, tsxEntry("compat", "exportContract.ts"), {
    cwd: worktree,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  if (run.status !== 0) throw new ConfigError(`cannot read the base revision's contract: ${run.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return JSON.parse(run.stdout) as AppSide;
}

export async function runCompat({
  p = project(),
  base = defaultBase(p.root),
  endpoint,
  log = console.log,
}: { p?: Project; base?: string | undefined; endpoint?: string; log?: (line: string) => void } = {}): Promise<CompatResult> {
  if (!base) {
    log("test-compat: no earlier revision to compare with (no commit before HEAD): nothing to check");
    return { failures: [] };
  }
  const commit = execFileSync("git", ["rev-parse", "--verify", `${base}^{commit}`], { cwd: p.root, encoding: "utf8" }).trim();
  const label = base === commit ? commit.slice(0, 12) : `${base} (${commit.slice(0, 12)})`;
  const work = mkdtempSync(join(tmpdir(), "compat-"));
  const worktree = join(work, "base");
  execFileSync("git", ["worktree", "add", "--detach", "--quiet", worktree, commit], { cwd: p.root, stdio: ["ignore", "ignore", "pipe"] });
  const stops: (() => unknown)[] = [
    () => {
      execFileSync("git", ["worktree", "remove", "--force", worktree], { cwd: p.root, stdio: "ignore" });
      rmSync(work, { recursive: true, force: true });
    },
  ];
  try {
    linkInstalledPackages(worktree, p.root);
    const previous = baseSide(worktree);
    const current = currentSide(p);
    const ours = current.migrations.map((m) => m.name);
    const theirs = previous.migrations.map((m) => m.name);
    if (!theirs.some((name) => ours.includes(name)) && theirs.length > 0) {
      log(`test-compat: ${label} is another app (none of its migrations is this one's): nothing to check`);
      return { failures: [] };
    }
    const moved = theirs.findIndex((name, i) => ours[i] !== name);
    if (moved >= 0)
      throw new ConfigError(
        `migration "${theirs[moved]}" of ${base} is not at position ${moved + 1} of this revision's index: migrations are frozen history, never removed, renamed or reordered`,
      );
    const added = ours.slice(theirs.length);
    const { before: expands, after } = splitAtContract(current.index, added);
    log(
      `test-compat against ${label}: ${added.length ? `this revision adds ${added.join(", ")}` : "no new migration"}; ` +
        `before the shift: ${expands.join(", ") || "none"}; after it: ${after.join(", ") || "none"}`,
    );

    const built = join(work, "built");
    const [previousBuild, currentBuild] = [
      await buildEntry(previous.httpHandler, built, "previous", { zip: false }),
      await buildEntry(current.httpHandler, built, "current", { zip: false }),
    ];
    let at = endpoint;
    if (!at) {
      const dynamo = await startLocalDynamo();
      stops.unshift(() => dynamo.stop());
      at = dynamo.endpoint;
    }
    const client = createClient({ region: LOCAL_REGION, endpoint: at });
    stops.unshift(() => client.destroy());
    const documentClient = createDocumentClient(client);
    const env = (tableName: string, onPending: string) => ({
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: at!,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      CURSOR_SECRET: "test-compat-cursor-secret-32-bytes!!",
      MIGRATIONS_ON_CONNECT: onPending,
    });
    const failures: string[] = [];
    const api = (file: string, tableName: string, onPending: string) => {
      const started = new BuiltFunction(file, env(tableName, onPending));
      stops.unshift(() => started.stop());
      return started;
    };
    /** A table the base release migrated and filled: its walkthrough, then its load setup; what both captured. */
    const filled = async (tableName: string) => {
      stops.unshift(() => client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {}));
      await ensureTable({ client, tableName });
      const send = requester(api(previousBuild.entry, tableName, "apply"), previous.callers, failures, `${label} filling the table`);
      return { ...(await walk(previous.walkthrough, send, () => {})), ...(await walk(previous.load.setup, send, () => {})) };
    };
    const nothingSent = (what: string) => failures.push(`${what}: none of its load mix's reads or creates could be sent on the other release's data`);

    // 1. The previous release, still serving, on the table each expand leaves (none: on its own table, once).
    const first = `compat-previous-${randomUUID().slice(0, 8)}`;
    const previousData = await filled(first);
    const m1 = migrator({ client, documentClient, tableName: first, migrations: current.index, log: () => {} });
    const previousApi = api(previousBuild.entry, first, "fail");
    for (const [round, name] of (expands.length ? expands : [undefined]).entries()) {
      if (name) await m1.up({ to: name });
      const context = name ? `after ${name} (an expand: it runs before the shift), the previous release` : "the previous release";
      if ((await exercise(previous, round, requester(previousApi, previous.callers, failures, context), previousData)) === 0) nothingSent(context);
    }

    // 2. This revision on the data the previous release wrote, every migration applied (contracts too: the shift is over).
    const second = `compat-current-${randomUUID().slice(0, 8)}`;
    const filledData = await filled(second);
    const applied = await migrator({ client, documentClient, tableName: second, migrations: current.index, log: () => {} }).up();
    const context = `this revision on the previous release's data${applied.length ? ` (after ${applied.join(", ")})` : ""}`;
    if ((await exercise(current, 0, requester(api(currentBuild.entry, second, "fail"), current.callers, failures, context), filledData)) === 0)
      nothingSent(context);

    log(failures.length ? `test-compat: ${failures.length} failure(s)` : "test-compat: both releases work on each other's table");
    return { base: commit, failures };
  } finally {
    for (const stop of stops) await stop();
  }
}

/** `make test-compat [BASE=ref]`. */
export async function main(argv: string[], p: Project = project()): Promise<void> {
  const at = argv.indexOf("--base");
  const result = await runCompat({ p, ...(at >= 0 ? { base: argv[at + 1] } : {}) });
  if (result.failures.length) {
    throw new ConfigError(
      `the two releases do not work on each other's table:\n${result.failures.map((f) => `  - ${f}`).join("\n")}\n` +
        'A migration the previous release cannot live with is a contract: declare it kind: "contract" (it then runs after the shift), or make it an expand the previous code ignores.',
    );
  }
}
