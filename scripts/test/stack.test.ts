import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import fc from "fast-check";
import { handlerBuildOptions } from "../src/build";
import { mapStack } from "../src/stack";

describe("make stack", () => {
  it("maps a stack logged by the function (bundle frames in /var/task) back to the source lines, leaving other lines alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-"));
    try {
      const entry = join(dir, "thrower.ts");
      writeFileSync(entry, 'export function handler(): never {\n  const why: string = "deliberately";\n  throw new Error(`thrown ${why}`);\n}\n');
      const outdir = join(dir, "out");
      await build(handlerBuildOptions(entry, outdir));
      const run = spawnSync(
        process.execPath,
        ["--input-type=module", "-e", `import("${join(outdir, "index.mjs")}").then((m) => m.handler()).catch((e) => console.log(e.stack))`],
        {
          encoding: "utf8",
        },
      );
      // As Lambda logs it: the bundle lives in /var/task.
      const logged = run.stdout.replaceAll(`file://${outdir}`, "/var/task").replaceAll(outdir, "/var/task");
      expect(logged).toMatch(/\/var\/task\/index\.mjs:\d+:\d+/);

      const mapped = mapStack(logged, outdir);
      expect(mapped).toContain("Error: thrown deliberately");
      expect(mapped).toMatch(/thrower\.ts:3:\d+/);
      expect(mapped).not.toContain("/var/task/index.mjs");
      expect(mapStack("at somewhere (node:internal/process/task_queues:95:5)", outdir)).toBe("at somewhere (node:internal/process/task_queues:95:5)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves any pasted text that holds no bundle frame exactly as it was, and never throws (property)", () => {
    const noBundle = mkdtempSync(join(tmpdir(), "stack-none-"));
    try {
      const frame = fc.tuple(fc.constantFrom("index.mjs", "chunks/x.mjs"), fc.nat(), fc.nat()).map(([f, l, c]) => `/var/task/${f}:${l}:${c}`);
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.string(), frame)), (parts) => {
          const text = parts.join("\n");
          // No map files here: every frame stays as pasted, as does everything else.
          expect(mapStack(text, noBundle)).toBe(text);
        }),
        { numRuns: 300 },
      );
    } finally {
      rmSync(noBundle, { recursive: true, force: true });
    }
  });
});
