/**
 * The kit as a team outside this repository gets it: `npm pack` (its prepack
 * builds dist/), installed into an empty project, used with plain Node (ESM
 * and CommonJS) and checked by tsc against the shipped declarations.
 * Packages come from npm's cache (`npm ci` filled it), nothing from this repository.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { localEndpoint, uniqueTableName } from "../src/testing";

const KIT = resolve(__dirname, "..");
const TSC = resolve(__dirname, "../../../node_modules/typescript/bin/tsc");
const work = mkdtempSync(join(tmpdir(), "kit-pack-"));
const project = join(work, "project");
let packed: { filename: string; version: string; files: { path: string }[] };

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });

beforeAll(() => {
  [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], KIT));
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "kit-consumer", private: true, type: "module" }));
  run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, packed.filename), "@aws-sdk/lib-dynamodb@3.1162.0"],
    project,
  );
}, 180_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(join(KIT, "dist"), { recursive: true, force: true }); // in this repository the kit resolves to its source
});

describe("the packed kit", () => {
  it("ships JavaScript for import and require, type declarations, the README and CHANGELOG, and no source or tests", () => {
    const paths = packed.files.map((f) => f.path);
    for (const entry of ["runtime", "migrations", "ops", "contract", "testing"]) {
      expect(paths).toEqual(expect.arrayContaining([`dist/${entry}.mjs`, `dist/cjs/${entry}.js`, `dist/types/${entry}.d.ts`]));
    }
    expect(paths).toEqual(expect.arrayContaining(["package.json", "README.md", "CHANGELOG.md"]));
    expect(paths.filter((p) => /^(src|test)\/|\.ts$/.test(p) && !p.endsWith(".d.ts"))).toEqual([]);
  });

  it("runs connect() and a migration against DynamoDB Local from an empty project, with plain Node", () => {
    writeFileSync(
      join(project, "consumer.mjs"),
      `import { PutCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import { connect, StarterError } from "@dynamodb-starter/kit/runtime";
import { StarterError as SameError } from "@dynamodb-starter/kit/migrations";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { createClient } from "@dynamodb-starter/kit/runtime";

const { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint } = process.env;
const migrations = [{
  name: "0001-hello",
  async up({ context }) {
    await context.documentClient.send(new PutCommand({ TableName: context.tableName, Item: { pk: "HELLO", sk: "A", from: "migration" } }));
  },
  async down() {},
}];
await ensureTable({ client: createClient({ region: "us-east-1", endpoint }), tableName });
const { documentClient } = await connect({ migrations, onPending: "apply" });
const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: "HELLO", sk: "A" } }));
console.log(JSON.stringify({ item: Item, oneErrorClass: StarterError === SameError }));
`,
    );
    const env = {
      TABLE_NAME: uniqueTableName("packed"),
      DYNAMODB_ENDPOINT: localEndpoint(),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    const out = run(process.execPath, ["consumer.mjs"], project, env);
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ item: { pk: "HELLO", sk: "A", from: "migration" }, oneErrorClass: true });
  });

  it("loads every entry with require() too", () => {
    const out = run(
      process.execPath,
      ["-e", 'for (const e of ["runtime", "migrations", "ops", "testing"]) console.log(e, Object.keys(require("@dynamodb-starter/kit/" + e)).length)'],
      project,
    );
    for (const line of out.trim().split("\n")) expect(Number(line.split(" ")[1])).toBeGreaterThan(3);
  });

  it("type-checks a consumer against the shipped declarations, and refuses a wrong one", () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", noEmit: true, skipLibCheck: true, types: [] } }),
    );
    const source = (onPending: string) =>
      `import { connect, type Connection } from "@dynamodb-starter/kit/runtime";
import type { Migration } from "@dynamodb-starter/kit/migrations";
const migrations: Migration[] = [];
export const connection: Promise<Connection> = connect({ migrations, onPending: ${onPending} });
`;
    const tsc = () => spawnSync(process.execPath, [TSC, "-p", "."], { cwd: project, encoding: "utf8" });
    writeFileSync(join(project, "consumer.ts"), source('"fail"'));
    expect(tsc()).toMatchObject({ status: 0, stdout: "" });
    writeFileSync(join(project, "consumer.ts"), source('"sometimes"'));
    expect(tsc()).toMatchObject({ status: 2, stdout: expect.stringContaining(`Type '"sometimes"' is not assignable to type 'OnPending`) });
  });
});
