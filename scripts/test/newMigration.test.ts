import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newMigration } from "../src/newMigration";
import { CLI_ROOT, project } from "../src/project";
import { FIXTURE } from "./support/functions";
import { TEMPLATE_ROOT } from "./support/env";

// A project of the test's own, whose migrations folder starts as the fixture app's: numbered files and an ordered index.
const root = mkdtempSync(join(tmpdir(), "new-migration-"));
const p = project(root);
const dir = p.migrationsDir;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The constants the index lists, in order, however prettier wrapped them. */
const listed = (index: string) =>
  /export const migrations: readonly Migration\[\] = \[([^\]]*)\];/
    .exec(index)![1]!
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);

describe("make migration NAME=...", () => {
  beforeAll(() => cpSync(FIXTURE.migrationsDir, dir, { recursive: true }));

  it("writes the next numbered migration from the template and appends it to the index", () => {
    const file = newMigration("add-orders-index", p);
    expect(file).toBe(join(dir, "0003-add-orders-index.ts"));
    const source = readFileSync(file, "utf8");
    expect(source).toContain('name: "0003-add-orders-index"');
    expect(source).toContain("export const addOrdersIndex: Migration");
    expect(source).toMatch(/async up\(\)/);
    expect(source).toMatch(/async down\(\)/);
    expect(source).toContain("safe to re-run");

    const index = readFileSync(join(dir, "index.ts"), "utf8");
    expect(index).toContain('import { addOrdersIndex } from "./0003-add-orders-index";');
    expect(listed(index)).toEqual(["eventsByVenue", "eventsHaveAStatus", "addOrdersIndex"]);
    expect(newMigration("second-one", p)).toBe(join(dir, "0004-second-one.ts"));
    expect(listed(readFileSync(join(dir, "index.ts"), "utf8"))).toEqual(["eventsByVenue", "eventsHaveAStatus", "addOrdersIndex", "secondOne"]);
  });

  it("writes files that type-check as they are, against the kit's migrations entry", () => {
    // The service's compiler settings (the CLI's preset), with the kit resolved to this repository's sources.
    writeFileSync(
      join(root, "tsconfig.json"),
      JSON.stringify({
        extends: join(CLI_ROOT, "presets", "tsconfig.json"),
        compilerOptions: {
          paths: { "@dynamodb-starter/kit/*": [resolve(TEMPLATE_ROOT, "src", "kit", "src", "*")] },
          typeRoots: [join(TEMPLATE_ROOT, "node_modules", "@types")],
          types: ["node"],
        },
        include: ["src"],
      }),
    );
    const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", root], { encoding: "utf8" });
    expect({ status: tsc.status, output: tsc.stdout + tsc.stderr }).toEqual({ status: 0, output: "" });
  });

  it("refuses a name that is not lowercase words joined by dashes, and writes nothing", () => {
    const before = readdirSync(dir).sort();
    expect(() => newMigration("Add Thing", p)).toThrow("use lowercase words joined by dashes");
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
