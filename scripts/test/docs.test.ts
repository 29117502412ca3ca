/**
 * One source for each fact the docs state. Every relative link in the README,
 * the CLI's docs and the packages' READMEs resolves: the file exists, and a
 * #fragment names a heading of that file (GitHub's anchors: lowercased,
 * punctuation dropped, spaces to dashes). Every repository path that the docs,
 * the Makefile, the workflows, the Terraform and the packages' code name
 * exists, so a file moved is a file whose mentions move with it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { benchTable, PERFORMANCE_DOC, RECORDED_RUN, type Row } from "../src/measure/bench";
import { DISTRIBUTED_ABOVE_ITEMS } from "../src/deployments";
import { DEFAULT_COUNT_TOLERANCE } from "../src/drill/restoreDrill";
import { DEFAULT_METRICS_NAMESPACE, MAX_BUFFERED_DEBUG_LINES, METRICS } from "@dynamodb-starter/kit/runtime";
import * as engine from "../src/pipeline/backfillEngine";
import { CLI_ROOT } from "../src/project";
import { TEMPLATE_ROOT as ROOT } from "./support/env";

const cliDocs = relative(ROOT, join(CLI_ROOT, "docs"));
const DOCS = [
  "README.md",
  "src/app/README.md",
  "src/kit/README.md",
  "src/kit/CHANGELOG.md",
  "scripts/README.md",
  "scripts/CHANGELOG.md",
  ...readdirSync(join(CLI_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `${cliDocs}/${f}`),
];

/** Every file of ours under `dir` (repository-relative) whose name matches. */
const filesUnder = (dir: string, name: RegExp): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && name.test(e.name) && !e.name.endsWith(".test.ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((f) => !/(^|\/)(node_modules|dist|\.terraform|fixtures|test)\//.test(relative(dir, f)));

/**
 * Where paths are named as facts: the docs (outside code examples), the Makefile, CI, the configs, and the
 * packages' own code, comments included. Not their tests, which name the scratch files they create, and not the
 * CHANGELOGs, which are history.
 */
const NAMING = [
  ...DOCS.filter((d) => !d.endsWith("CHANGELOG.md")),
  "Makefile",
  ".ci/run",
  ".gitignore",
  "tsconfig.json",
  "jest.config.js",
  "eslint.config.mjs",
  ...filesUnder(".github", /\.ya?ml$/),
  ...filesUnder("scripts", /\.(ts|cjs|mjs|json|tf|hcl|sh)$/),
  ...filesUnder("src/kit/src", /\.ts$/),
];
/** Built or written at run time, so absent from a clone; the docs name them on purpose. */
const GENERATED = /^(dist|\.local|coverage|node_modules|src\/kit\/dist)(\/|$)|^bench\/results\.json$|^infra\/bootstrap\/terraform\.tfstate$/;
const PATH = /(?<![\w./-])((?:\.github|\.ci|scripts|src|infra|test|bench)\/[\w.\-/]*[\w/])/g;

/** Repository paths a file names that do not exist: relative to the repository, or to the CLI's or the kit's folder. */
function missingPaths(file: string, text = readFileSync(join(ROOT, file), "utf8")): string[] {
  const prose = file.endsWith(".md") ? text.replace(/^```[\s\S]*?^```/gm, "") : text;
  return [...new Set([...prose.matchAll(PATH)].map((m) => m[1]!))]
    .filter((path) => !GENERATED.test(path))
    .filter((path) => ![ROOT, CLI_ROOT, join(ROOT, "src", "kit")].some((base) => existsSync(join(base, path))))
    .map((path) => `${file}: ${path}`);
}

const withoutCode = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, (code) => (code.includes("](") ? "" : code));
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
const anchorsOf = (file: string) =>
  new Set(
    [
      ...readFileSync(file, "utf8")
        .replace(/^```[\s\S]*?^```/gm, "")
        .matchAll(/^#{1,6} (.+)$/gm),
    ].map((m) => anchor(m[1]!)),
  );

function brokenLinks(doc: string): string[] {
  const file = join(ROOT, doc);
  return [...withoutCode(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target))
    .flatMap((target) => {
      const [path, fragment] = target.split("#") as [string, string | undefined];
      const linked = path ? resolve(dirname(file), path) : file;
      if (!existsSync(linked)) return [`${doc}: ${target} (no such file)`];
      if (fragment && linked.endsWith(".md") && !anchorsOf(linked).has(fragment))
        return [`${doc}: ${target} (no heading #${fragment} in ${relative(ROOT, linked)})`];
      return [];
    });
}

describe("documentation links", () => {
  it("finds the documents", () => {
    expect(DOCS).toEqual(expect.arrayContaining(["README.md", "scripts/docs/deploy.md", "scripts/docs/backfills.md"]));
  });

  it.each(DOCS)("every relative link in %s resolves", (doc) => {
    expect(brokenLinks(doc)).toEqual([]);
  });

  it("notices a broken link and a missing heading", () => {
    expect(anchor("`connect()` at run time")).toBe("connect-at-run-time");
    expect(anchorsOf(join(ROOT, "README.md")).has("make-it-yours")).toBe(true);
    expect(withoutCode("see [x](nowhere.md) and `[y](code.md)`").match(/\]\(/g)).toHaveLength(1);
  });
});

describe("paths named in docs, configs and code", () => {
  it("finds the files that name them", () => {
    expect(NAMING).toEqual(
      expect.arrayContaining(["Makefile", "scripts/src/pipeline/deploy.ts", "scripts/terraform/service/lambda.tf", "src/kit/src/runtime/connect.ts"]),
    );
    expect(NAMING.filter((f) => /\.test\.ts$|CHANGELOG/.test(f))).toEqual([]);
  });

  it.each(NAMING)("every repository path %s names exists", (file) => {
    expect(missingPaths(file)).toEqual([]);
  });

  it("notices a path that does not exist, and not a generated one or one in a code example", () => {
    expect(missingPaths("x.ts", "see scripts/src/nowhere.ts and src/kit/dist/runtime.js")).toEqual(["x.ts: scripts/src/nowhere.ts"]);
    expect(missingPaths("x.md", "```\n// src/handlers/yours.ts\n```\n`terraform/service/lambda.tf`")).toEqual([]);
  });
});

describe("the README", () => {
  it("reads in five minutes: at most 200 lines, its quick start two commands on a fresh clone", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme.split("\n").length).toBeLessThanOrEqual(200);
    const quickStart = /^## Quick start\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
    const [commands] = [...quickStart.matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```/gm)].map((m) =>
      m[1]!.split("\n").filter((l) => l.trim() && !l.startsWith("#")),
    );
    expect(commands?.map((c) => c.replace(/\s+#.*$/, "").trim())).toEqual(["make deploy", "make test"]);
  });
});

describe("the numbers in the docs", () => {
  const doc = readFileSync(PERFORMANCE_DOC, "utf8");
  const table = /<!-- bench:table -->\n([\s\S]*?)\n<!-- \/bench:table -->/.exec(doc)?.[1];
  // Figures a run measures: ratios, times and sizes to a decimal, rates. Limits and settings ("400 KB", "80%") and
  // estimates marked as such ("~5 ms", "at 5,000 items/s") are not measurements.
  const MEASURED = /(?<![~\w.,]|at )\d[\d,]*(?:\.\d+\s?(?:x\b|ms\b|KB\b|s\b)|\s?(?:items|req)\/s)/g;

  it("are the recorded run's: the performance table is performance.json's rows, as make bench prints them", () => {
    const run = JSON.parse(readFileSync(RECORDED_RUN, "utf8")) as { measuredAt: string; rows: Row[] };
    expect(run.rows.length).toBeGreaterThan(10);
    expect(table).toBe(benchTable(run.rows));
  });

  it.each(DOCS.filter((d) => !d.endsWith("CHANGELOG.md")))("are quoted nowhere else: %s states no measured figure outside that table", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8").replace(/<!-- bench:table -->[\s\S]*?<!-- \/bench:table -->/, "");
    expect(withoutCode(text).match(MEASURED) ?? []).toEqual([]);
  });

  it("notices a figure quoted in prose", () => {
    expect("a cold start of 134.1 ms, 1.10x the bare one, 2,650 items/s".match(MEASURED)).toEqual(["134.1 ms", "1.10x", "2,650 items/s"]);
    expect("items over 400 KB; at 5,000 items/s; ~5 ms; above 80%".match(MEASURED)).toBeNull();
  });
});

describe("the backfill engine's numbers in docs/backfills.md", () => {
  it("are the code's: the threshold's default, segments per item, the assumed worker rate and the table's ceiling", () => {
    const doc = readFileSync(join(CLI_ROOT, "docs", "backfills.md"), "utf8");
    const n = (x: number) => x.toLocaleString("en-US");
    expect(doc).toContain(`"distributedAboveItems": ${DISTRIBUTED_ABOVE_ITEMS}`);
    expect(doc).toContain(`one per ~${n(engine.ITEMS_PER_SEGMENT / 1e6)} million items, 4 at least, ${engine.MAX_SEGMENTS} at most`);
    expect(doc).toContain(`~${n(engine.WORKER_ITEMS_PER_SECOND)} items/s per worker`);
    expect(doc).toContain(`default ceiling of ${n(engine.TABLE_WRITES_PER_SECOND)}`);
  });
});

describe("docs/operations.md", () => {
  // As prose reads it: a line break is a space.
  const doc = readFileSync(join(CLI_ROOT, "docs", "operations.md"), "utf8").replace(/\s+/g, " ");
  it("names every metric the kit emits, the namespace, and the code's numbers", () => {
    for (const metric of Object.values(METRICS).flat()) expect({ metric, named: doc.includes(`\`${metric}\``) }).toEqual({ metric, named: true });
    expect(doc).toContain(`Namespace \`${DEFAULT_METRICS_NAMESPACE}\``);
    expect(doc).toContain(`pays for ${METRICS.request.length} per route`);
    expect(doc).toContain(`(${MAX_BUFFERED_DEBUG_LINES} at most`);
    expect(doc).toContain(`(${DEFAULT_COUNT_TOLERANCE * 100}% at most)`);
  });

  it("states the alarms as alarms.tf sets them: 3 of 5 periods, and the thresholds' names as the deployments file spells them", () => {
    const alarms = readFileSync(join(CLI_ROOT, "terraform", "service", "alarms.tf"), "utf8");
    const block = (name: string) => alarms.split(/^resource /m).find((b) => b.startsWith(`"aws_cloudwatch_metric_alarm" "${name}"`)) ?? "";
    for (const name of ["route_latency", "consumed_capacity"]) {
      expect({ name, periods: /evaluation_periods\s+= 5\n\s+datapoints_to_alarm = 3\n/.test(block(name)) }).toEqual({ name, periods: true });
    }
    expect(doc).toContain("for 3 of 5 periods of 5 minutes");
    expect(doc).toContain("for 3 of 5 minutes");
    for (const key of ["routeLatencyP99Ms", "route5xx", "capacityRatio"]) expect(doc).toContain(`\`${key}\``);
  });
});
