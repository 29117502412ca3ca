/**
 * The `starter` bin, as make runs it (node_modules/.bin/starter, from the service's root): it lists its commands,
 * and loads a command's module when it runs, TypeScript included, from any service's folder.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { COMMANDS } from "../src/main";
import { CLI_ROOT } from "../src/project";
import { FIXTURE } from "./support/functions";

const starter = (...args: string[]) =>
  spawnSync(process.execPath, [join(CLI_ROOT, "bin", "starter.mjs"), ...args], { cwd: FIXTURE.root, encoding: "utf8", timeout: 60_000 });

describe("the starter bin", () => {
  it("lists every command when given none or an unknown one, and exits 2", () => {
    for (const args of [[], ["nonsense"]]) {
      const run = starter(...args);
      expect(run.status).toBe(2);
      for (const name of Object.keys(COMMANDS)) expect(run.stderr).toMatch(new RegExp(`^  ${name} `, "m"));
    }
  });

  it("runs a command's module, in the service's folder, and reports its refusal in one line with exit 1", () => {
    const deploy = starter("deploy", "--deployment", "production");
    expect({ status: deploy.status, stderr: deploy.stderr.trim() }).toEqual({
      status: 1,
      stderr: expect.stringMatching(/^deploy: unknown deployment "production". Known deployments: local, staging/),
    });
    const migration = starter("migration");
    expect({ status: migration.status, stderr: migration.stderr.trim() }).toEqual({ status: 1, stderr: "migration: usage: make migration NAME=add-thing" });
  });
});
