/**
 * `make migration NAME=add-thing`: writes the next numbered migration of the
 * app (src/app/migrations/<NNNN>-add-thing.ts) from a template with `up`,
 * `down` and the reminder that it must be safe to re-run, and appends it to
 * the ordered index. umzug's `create` command is the model.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, relative } from "node:path";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import { project, type Project } from "./project";

const INDEX = "index.ts";
const FILE = /^(\d{4})-([a-z0-9-]+)\.ts$/;
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Migration files in index order (their numbers), without the index itself. */
export function migrationFiles(dir = project().migrationsDir): string[] {
  return readdirSync(dir)
    .filter((f) => FILE.test(f))
    .sort();
}

/** The exported constant of a migration file: "0004-add-thing" -> addThing. */
const exportName = (name: string) => name.replace(/^\d{4}-/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const template = (name: string, constant: string) => `/**
 * TODO: say what this migration changes and why.
 *
 * It may be interrupted halfway and then runs again from the start: keep it
 * safe to re-run (conditional writes, whole-item puts, idempotent helpers
 * such as the context's addGlobalSecondaryIndex and backfill). \`down\` undoes exactly what
 * \`up\` did. Import only the library, and copy any constant you need from the
 * model into this file: a migration is frozen history.
 */
import type { Migration } from "@dynamodb-starter/kit/migrations";

export const ${constant}: Migration = {
  name: "${name}",

  // The context holds { client, documentClient, tableName, log, signal, backfill, addGlobalSecondaryIndex, removeGlobalSecondaryIndex }: async up({ context: { documentClient, tableName } }) { ... }
  // A data rewrite over the table: declare it as backfill: { filter, transform } instead of writing up (workers can share it).
  async up() {
    throw new Error("${name}: write up() before running it");
  },

  async down() {
    throw new Error("${name}: write down() before running it");
  },
};
`;

/** Creates the migration file and appends it to the index; returns the new file's path. */
export function newMigration(slug: string, p: Project = project()): string {
  const { root: ROOT, migrationsDir: dir } = p;
  if (!NAME.test(slug)) throw new ConfigError(`migration name "${slug}": use lowercase words joined by dashes, such as add-orders-index`);
  const files = migrationFiles(dir);
  const last = files.at(-1);
  const number = String((last ? Number(FILE.exec(last)![1]) : 0) + 1).padStart(4, "0");
  const name = `${number}-${slug}`;
  const file = join(dir, `${name}.ts`);
  if (existsSync(file)) throw new ConfigError(`${relative(ROOT, file)} already exists`);
  const constant = exportName(name);

  const indexFile = join(dir, INDEX);
  const index = readFileSync(indexFile, "utf8");
  const list = /(export const migrations: readonly Migration\[\] = \[)([^\]]*)(\];)/;
  const match = list.exec(index);
  if (!match) throw new ConfigError(`${relative(ROOT, indexFile)} has no "export const migrations: readonly Migration[] = [...]" to append to`);
  const entries = match[2]!
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const lastImport = [...index.matchAll(/^import .*;$/gm)].at(-1);
  const at = lastImport ? lastImport.index! + lastImport[0].length : 0;
  const withImport = `${index.slice(0, at)}\nimport { ${constant} } from "./${name}";${index.slice(at)}`;
  const updated = withImport.replace(list, `$1${[...entries, constant].join(", ")}$3`);

  writeFileSync(file, template(name, constant));
  writeFileSync(indexFile, updated);
  // Formatted like the rest of the service's code (its prettier settings), so `make test`'s format check passes at once.
  spawnSync(process.execPath, [require.resolve("prettier/bin/prettier.cjs"), "--write", "--log-level", "warn", file, indexFile], {
    cwd: ROOT,
    stdio: "inherit",
  });
  return file;
}

/** `make migration NAME=add-thing`. */
export async function main([slug]: string[], p: Project = project()): Promise<void> {
  if (!slug) throw new ConfigError("usage: make migration NAME=add-thing");
  const file = newMigration(slug, p);
  console.log(`wrote ${relative(p.root, file)} and appended it to ${relative(p.root, join(p.migrationsDir, INDEX))}: write its up and down next`);
}
