import { spawnSync } from "node:child_process";
import { TEMPLATE_ROOT } from "./support/env";

type Case = [what: string, file: string, source: string, message?: string];

// Files named by where they stand (the lint rules go by path): none of them exists, and no app is read.
const refused: Case[] = [
  ["the kit importing the app", "src/kit/src/http/example.ts", 'export { api } from "../../../app";', "never imports the app"],
  ["the kit importing a handler", "src/kit/src/runtime/example.ts", 'export { handler } from "../../../handlers/http";', "never imports the app"],
  ["the kit importing the CLI by path", "src/kit/src/table/example.ts", 'export { main } from "../../../../scripts/src/build";', "never imports the app"],
  ["the kit importing the CLI by name", "src/kit/src/table/example.ts", 'export { project } from "@dynamodb-starter/cli/testing";', "never imports the app"],
  ["a kit test importing the app", "src/kit/test/example.test.ts", 'export { contract } from "../../app/contract";', "bring their own fixtures"],
  [
    "a kit test importing the CLI's internals",
    "src/kit/test/example.test.ts",
    'export { main } from "@dynamodb-starter/cli/src/build";',
    "bring their own fixtures",
  ],
  ["the app importing the CLI by path", "src/app/example.ts", 'export { main } from "../../scripts/src/pipeline/migrate";', "src/ never imports the CLI"],
  [
    "a handler importing the CLI by name",
    "src/handlers/example.ts",
    'export { startLocalDynamo } from "@dynamodb-starter/cli/testing";',
    "src/ never imports the CLI",
  ],
  ["the app importing the kit by path", "src/app/example.ts", 'export { json } from "../kit/src/runtime";', "by its package name and entry"],
  [
    "the CLI importing a kit module by path",
    "scripts/src/example.ts",
    'export { migrator } from "../../src/kit/src/migrations/migrationRunner";',
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
    'export { first } from "./0001-first";',
    "imports only packages and the kit",
  ],
  ["the CLI importing the app", "scripts/src/example.ts", 'export { routes } from "../../src/app/routes";', "through its contract and conventions"],
  [
    "the CLI importing the app's contract",
    "scripts/src/example.ts",
    'export { contract } from "../../src/app/contract";',
    "through its contract and conventions",
  ],
  [
    "a check importing a handler",
    "scripts/checks/example.test.ts",
    'export { handler } from "../../src/handlers/http";',
    "through its contract and conventions",
  ],
  [
    "a CLI test importing the app's tests",
    "scripts/test/example.test.ts",
    'export { client } from "../../test/app/client";',
    "through its contract and conventions",
  ],
];
const allowed: Case[] = [
  ["a migration importing the kit", "src/app/migrations/0099-example.ts", 'export { backfill } from "@dynamodb-starter/kit/migrations";'],
  ["the app importing the kit", "src/app/example.ts", 'export { json } from "@dynamodb-starter/kit/runtime";'],
  ["the app's contract importing the kit's contract entry", "src/app/contract.ts", 'export type { AppContract } from "@dynamodb-starter/kit/contract";'],
  ["a kit module importing another", "src/kit/src/http/example.ts", 'export { connect } from "../runtime/connect";'],
  ["a kit test importing a kit module", "src/kit/test/example.test.ts", 'export { heldLease } from "../src/migrations/lease";'],
  [
    "a kit test starting DynamoDB Local with the CLI's testing entry",
    "src/kit/test/example.test.ts",
    'export { startLocalDynamo } from "@dynamodb-starter/cli/testing";',
  ],
  ["the CLI importing the kit by name", "scripts/src/example.ts", 'export { connect } from "@dynamodb-starter/kit/runtime";'],
  ["the CLI's fixture app importing its own modules", "scripts/test/fixtures/shop/src/app/index.ts", 'export { routes } from "./routes";'],
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
  const run = spawnSync(process.execPath, ["-e", LINT], { cwd: TEMPLATE_ROOT, input: JSON.stringify(cases), encoding: "utf8" });
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
