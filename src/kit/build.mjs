// Builds what `npm pack` ships (run by prepack): JavaScript for import (ESM,
// one bundle per entry with shared chunks, so a class is the same class from
// every entry) and for require (CommonJS, one file per module), and type
// declarations. Dependencies stay external: the installing project resolves them.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const entries = ["runtime", "migrations", "ops", "contract", "testing"];
const common = { platform: "node", target: "node20", logLevel: "warning", legalComments: "none" };
const sources = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

rmSync(dist, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: Object.fromEntries(entries.map((e) => [e, join(here, "src", `${e}.ts`)])),
  outdir: dist,
  bundle: true,
  packages: "external",
  splitting: true,
  format: "esm",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  // The testing entry finds DynamoDB Local's jar with require.resolve.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
});
await build({ ...common, entryPoints: sources(join(here, "src")), outdir: join(dist, "cjs"), format: "cjs" });
writeFileSync(join(dist, "cjs", "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");
execFileSync(process.execPath, [join(here, "..", "..", "node_modules", "typescript", "bin", "tsc"), "-p", join(here, "tsconfig.build.json")], {
  stdio: "inherit",
});
