/**
 * The kit's entries, each for one audience and no wider: a module never imports an entry file (so /ops never drags in
 * what /runtime's entry loads on a cold start, and no entry leans on another), the contract's types stand on their
 * own, and a name is exported for one audience only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const KIT = resolve(__dirname, "../src");
const ENTRIES = ["runtime", "migrations", "ops", "contract", "testing"];
const modules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
/** What each module imports or re-exports, resolved to a path relative to the kit's src/ (packages as they are). */
const imports = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/(?:import|export)[^;"]*?from "([^"]+)"|import\("([^"]+)"\)/g)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    return spec.startsWith(".") ? relative(KIT, resolve(file, "..", spec)) : spec;
  });
const exported = (entry: string) => {
  const text = readFileSync(join(KIT, `${entry}.ts`), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  return new Set(
    [...text.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
      m[1]!
        .split(",")
        .map((n) =>
          n
            .trim()
            .replace(/^type /, "")
            .split(/\s+as\s+/)
            .at(-1)!,
        )
        .filter(Boolean),
    ),
  );
};

describe("the kit's entries", () => {
  it("are each a file of re-exports that no module of the kit imports", () => {
    const found = modules(KIT)
      .filter((file) => !ENTRIES.includes(relative(KIT, file).replace(/\.ts$/, "")))
      .flatMap((file) =>
        imports(file)
          .filter((target) => ENTRIES.includes(target))
          .map((target) => `${relative(KIT, file)} imports the ${target} entry`),
      );
    expect(found).toEqual([]);
    expect(imports(join(KIT, "ops.ts"))).toContain("migrations/migrationRunner");
  });

  it("give the contract's types from modules of their own, never from the testing modules", () => {
    const contract = modules(join(KIT, "contract")).flatMap(imports);
    expect(contract.length).toBeGreaterThan(0);
    expect(contract.filter((target) => target.startsWith("testing"))).toEqual([]);
    expect(exported("testing").has("AppContract")).toBe(false);
  });

  it("export each name to one audience: a handler's /runtime shares none with /ops, /contract or /testing but the error classes", () => {
    const runtime = exported("runtime");
    expect(runtime.has("connect")).toBe(true);
    const shared = ["ops", "contract", "testing"].flatMap((entry) =>
      [...exported(entry)].filter((name) => runtime.has(name) && !name.endsWith("Error")).map((name) => `${entry}: ${name}`),
    );
    expect(shared).toEqual([]);
    // What tests and tools alone need stays out of what a handler imports.
    for (const name of ["migrator", "ensureTable", "backfill", "walk", "apiClient", "localStreamMapping", "startLocalDynamo"])
      expect({ name, inRuntime: runtime.has(name) }).toEqual({ name, inRuntime: false });
  });
});
