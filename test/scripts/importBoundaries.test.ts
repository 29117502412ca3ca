import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

type Case = [what: string, file: string, source: string, message?: string];

const refused: Case[] = [
  ["the kit importing the app", "src/kit/src/http/example.ts", 'export { api } from "../../../app";', "never imports the app"],
  ["the kit importing the handler", "src/kit/src/runtime/example.ts", 'export { handler } from "../../../handlers/api";', "never imports the app"],
  ["the kit importing scripts", "src/kit/src/table/example.ts", 'export { HANDLER } from "../../../../scripts/build";', "never imports the app"],
  ["a kit test importing the app", "src/kit/test/example.test.ts", 'export { contract } from "../../app/contract";', "never imports the app"],
  ["the app importing scripts", "src/app/example.ts", 'export { main } from "../../scripts/migrate";', "src/ never imports scripts/"],
  ["the app importing the kit by path", "src/app/example.ts", 'export { json } from "../kit/src/runtime";', "by its package name and entry"],
  [
    "a script importing a kit module",
    "scripts/example.ts",
    'export { migrator } from "../src/kit/src/migrations/migrationRunner";',
    "by its package name and entry",
  ],
  [
    "a test importing the kit's internals by name",
    "test/app/example.test.ts",
    'export { sleep } from "@dynamodb-starter/kit/src/data/backoff";',
    "by its package name and entry",
  ],
  ["a migration importing the model", "src/app/migrations/0099-example.ts", 'export { keys } from "../model";', "imports only packages and the kit"],
  [
    "a migration importing another migration",
    "src/app/migrations/0099-example.ts",
    'export { appSettings } from "./0001-app-settings";',
    "imports only packages and the kit",
  ],
  ["a script importing app internals", "scripts/example.ts", 'export { routes } from "../src/app/routes";', "through src/app/contract.ts only"],
];
const allowed: Case[] = [
  ["a migration importing the kit", "src/app/migrations/0099-example.ts", 'export { backfill } from "@dynamodb-starter/kit/migrations";'],
  ["the app importing the kit", "src/app/example.ts", 'export { json } from "@dynamodb-starter/kit/runtime";'],
  ["a kit module importing another", "src/kit/src/http/example.ts", 'export { connect } from "../runtime/connect";'],
  ["a kit test importing a kit module", "src/kit/test/example.test.ts", 'export { heldLease } from "../src/migrations/lease";'],
  ["a script importing the app's contract", "scripts/example.ts", 'export { contract } from "../src/app/contract";'],
  ["an app test importing the app", "test/app/example.test.ts", 'export { routes } from "../../src/app/routes";'],
];

// The project's own eslint configuration, in a process of its own (jest's module sandbox cannot load it),
// asked about each import: the messages of no-restricted-imports, per case.
const LINT = `const { ESLint } = require("eslint");
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const eslint = new ESLint();
Promise.all(cases.map(async ([, file, source]) => {
  const [result] = await eslint.lintText(source, { filePath: file });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
})).then((answers) => process.stdout.write(JSON.stringify(answers)));`;

let answers = new Map<string, string[]>();
beforeAll(() => {
  const cases = [...refused, ...allowed];
  const run = spawnSync(process.execPath, ["-e", LINT], { cwd: resolve(__dirname, "../.."), input: JSON.stringify(cases), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`eslint failed: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as string[][];
  answers = new Map(cases.map(([what], i) => [what, results[i]!]));
});

describe("import boundaries (eslint, run by make test)", () => {
  it.each(refused)("refuses %s", (what, _file, _source, message) => {
    expect(answers.get(what)).toEqual([expect.stringContaining(message!)]);
  });

  it.each(allowed)("allows %s", (what) => {
    expect(answers.get(what)).toEqual([]);
  });
});
