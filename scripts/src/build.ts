/**
 * `make build`: every handler (src/handlers/<name>.ts, scripts/src/functions.ts)
 * becomes one minified ESM entry (dist/<name>/index.mjs) plus lazily loaded
 * chunks, source maps, an esbuild metafile (dist/<name>.meta.json) and a
 * deterministic zip (dist/<name>.zip): one artifact per function.
 *
 * Code splitting keeps what connect() loads only when migrations are pending
 * (umzug and the runner) out of the entry file, so it costs nothing on a
 * normal cold start. The AWS SDK is bundled, so the deployed version is the
 * one in package-lock.json, not whatever the runtime ships.
 */
import { build as esbuild, type BuildOptions, type Metafile, type Plugin } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { kb, textTable } from "./format";
import { loadFunctions, type FunctionSpec } from "./functions";
import { project, type Project } from "./project";
import { zip } from "./zip";

/** The Lambda runtime the bundles target; Terraform's `runtime` must match (scripts/terraform/service/lambda.tf). */
export const NODE_TARGET = "node22";

export interface Artifact {
  name: string;
  /** The file Lambda loads: handler "index.handler". */
  entry: string;
  /** What a cold start loads: the entry and every chunk it imports statically. */
  coldBytes: number;
  /** Chunks reached only through dynamic import(): loaded when needed, if ever. */
  lazyBytes: number;
  zipFile: string;
  zipBytes: number;
  metafile: Metafile;
}

/** Every function's artifact, built side by side; `zip: false` (the local deployment) skips the zips. */
export function buildFunctions(
  outRoot = project().distDir,
  functions: readonly FunctionSpec[] = loadFunctions(),
  { zip = true }: { zip?: boolean } = {},
): Promise<Artifact[]> {
  return Promise.all(functions.map((f) => buildEntry(f.file, outRoot, f.name, { zip })));
}

/** The backfill worker's function name (<deployment>-backfill) and artifact (dist/backfillWorker/). */
export const BACKFILL_WORKER = "backfillWorker";

/**
 * The backfill worker, built like a handler from an entry written here: the kit's worker over the app's migration
 * index (src/app/migrations/index.ts, by convention), so it runs this release's backfills.
 */
export async function buildBackfillWorker(p: Project, outRoot: string, options: { zip?: boolean } = {}): Promise<Artifact> {
  const entry = join(p.distDir, "entries", `${BACKFILL_WORKER}.ts`);
  mkdirSync(dirname(entry), { recursive: true });
  const index = relative(dirname(entry), join(p.migrationsDir, "index")).split(sep).join("/");
  writeFileSync(
    entry,
    `// Written by the starter's build: the backfill worker over this service's migrations.\nimport { createBackfillWorker } from "@dynamodb-starter/kit/ops";\nimport { migrations } from "${index}";\n\nexport const handler = createBackfillWorker({ migrations });\n`,
  );
  return buildEntry(entry, outRoot, BACKFILL_WORKER, options);
}

/**
 * Response schemas serve the spec and the type checker, never a handler (it checks what it is sent, not what it
 * answers): a route names them with lazySchema(() => import("./responses"), ...), and the handlers' build resolves
 * that dynamic import of a module named responses to an empty one, so neither they nor the schema code they alone use
 * reach a bundle. A static import of such a module is bundled as any other.
 */
export const specOnlyResponses: Plugin = {
  name: "spec-only-responses",
  setup(build) {
    build.onResolve({ filter: /(^|\/)responses(\.ts)?$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: args.path, namespace: "spec-only" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "spec-only" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/** The handlers' esbuild settings: `make build`, the benchmark's comparison handlers and `make dev`'s watch build. */
export const handlerBuildOptions = (entryPoint: string, outdir: string) =>
  ({
    entryPoints: { index: entryPoint },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: NODE_TARGET,
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: "linked",
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    legalComments: "none",
    plugins: [specOnlyResponses],
    logLevel: "warning",
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
  }) satisfies BuildOptions;

/** Builds any entry with the handlers' settings (the benchmark builds its comparison handlers this way). */
export async function buildEntry(
  entryPoint: string,
  outRoot: string,
  name: string,
  { zip: zipped = true, plugins = [] }: { zip?: boolean; plugins?: Plugin[] } = {},
): Promise<Artifact> {
  const outdir = join(outRoot, name);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const options = handlerBuildOptions(entryPoint, outdir);
  const result = await esbuild({ ...options, plugins: [...plugins, ...options.plugins], metafile: true });

  const files = listFiles(outdir);
  const entry = join(outdir, "index.mjs");
  const code = files.filter((f) => f.endsWith(".mjs"));
  const zipFile = join(outRoot, `${name}.zip`);
  if (zipped) writeFileSync(zipFile, zip(Object.fromEntries(files.map((f) => [relative(outdir, f), readFileSync(f)]))));
  else rmSync(zipFile, { force: true });
  writeFileSync(join(outRoot, `${name}.meta.json`), JSON.stringify(result.metafile));

  const cold = staticClosure(result.metafile, relative(process.cwd(), entry));
  const coldBytes = [...cold].reduce((n, f) => n + result.metafile.outputs[f]!.bytes, 0);
  return {
    name,
    entry,
    coldBytes,
    lazyBytes: code.reduce((n, f) => n + statSync(f).size, 0) - coldBytes,
    zipFile,
    zipBytes: zipped ? statSync(zipFile).size : 0,
    metafile: result.metafile,
  };
}

/** Output files loaded with `output`: itself and its static imports, transitively (metafile paths). */
export function staticClosure(metafile: Metafile, output: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    }
  };
  visit(output);
  return seen;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The sizes of each artifact; its zip's path relative to `root` (where the command runs). */
export function sizeReport(artifacts: readonly Artifact[], root = process.cwd()): string {
  return textTable([
    ["function", "cold start loads", "lazy (import())", "zip", "artifact"],
    ...artifacts.map((a) => [a.name, kb(a.coldBytes), kb(a.lazyBytes), kb(a.zipBytes), relative(root, a.zipFile)]),
  ]);
}

/** `make build`. */
export async function main(_argv: string[], p: Project = project()): Promise<void> {
  const started = Date.now();
  const artifacts = await buildFunctions(p.distDir, loadFunctions(p));
  console.log(`${sizeReport(artifacts, p.root)}\nbuilt in ${Date.now() - started} ms`);
}
