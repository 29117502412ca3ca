import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newMigration } from "../../scripts/newMigration";

// A migrations folder of the test's own, shaped like the app's: numbered files and an ordered index.
const dir = mkdtempSync(join(tmpdir(), "new-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INDEX = `/** Migrations, oldest first. */
import type { Migration } from "../../lib";
import { first } from "./0001-first";

export const migrations: readonly Migration[] = [first];
`;

describe("make migration NAME=...", () => {
  beforeAll(() => {
    writeFileSync(join(dir, "0001-first.ts"), 'export const first = { name: "0001-first" };\n');
    writeFileSync(join(dir, "index.ts"), INDEX);
  });

  it("writes the next numbered migration from the template and appends it to the index", () => {
    const file = newMigration("add-orders-index", dir);
    expect(file).toBe(join(dir, "0002-add-orders-index.ts"));
    const source = readFileSync(file, "utf8");
    expect(source).toContain('name: "0002-add-orders-index"');
    expect(source).toContain("export const addOrdersIndex: Migration");
    expect(source).toMatch(/async up\(\)/);
    expect(source).toMatch(/async down\(\)/);
    expect(source).toContain("safe to re-run");

    const index = readFileSync(join(dir, "index.ts"), "utf8");
    expect(index).toContain('import { addOrdersIndex } from "./0002-add-orders-index";');
    expect(index).toContain("export const migrations: readonly Migration[] = [first, addOrdersIndex];");
    expect(newMigration("second-one", dir)).toBe(join(dir, "0003-second-one.ts"));
    expect(readFileSync(join(dir, "index.ts"), "utf8")).toContain("[first, addOrdersIndex, secondOne]");
  });

  it("refuses a name that is not lowercase words joined by dashes, and writes nothing", () => {
    const before = readdirSync(dir).sort();
    expect(() => newMigration("Add Thing", dir)).toThrow("use lowercase words joined by dashes");
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
