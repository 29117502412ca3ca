import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_ROOT } from "../src/project";
import { TEMPLATE_ROOT as ROOT } from "./support/env";

describe("the jest preset's quiet environment", () => {
  it("shows what a failing test logged, and nothing of a passing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "quiet-"));
    try {
      writeFileSync(
        join(dir, "fixture.test.js"),
        // Messages built at run time: jest's report quotes a failing test's source lines.
        `const said = (who) => ["LOGGED BY", who].join(" ");
test("passes", () => console.log(said("THE PASSING TEST")));
test("fails", () => { console.error(said("THE FAILING TEST")); expect(1).toBe(2); });
test("passes again", () => console.warn(said("ANOTHER PASSING TEST")));\n`,
      );
      const config = {
        rootDir: dir,
        testEnvironment: join(CLI_ROOT, "src", "jest", "quietEnvironment.ts"),
        transform: { "^.+\\.ts$": [require.resolve("ts-jest"), { diagnostics: false, tsconfig: { module: "commonjs", esModuleInterop: true } }] },
      };
      const run = spawnSync(process.execPath, [join(ROOT, "node_modules/jest/bin/jest.js"), "--ci", "--config", JSON.stringify(config)], {
        cwd: dir,
        encoding: "utf8",
      });
      const output = run.stdout + run.stderr;
      expect(run.status).toBe(1);
      expect(output).toContain("LOGGED BY THE FAILING TEST");
      expect(output).not.toContain("LOGGED BY THE PASSING TEST");
      expect(output).not.toContain("LOGGED BY ANOTHER PASSING TEST");
      expect(output).toMatch(/Tests:\s+1 failed, 2 passed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
