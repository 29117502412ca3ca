/**
 * Our files read the app only through its contract and conventions: the kit's source, the CLI's source, checks,
 * presets and Terraform name none of the example's routes or functions, so a team that replaces the app edits none
 * of them. What to look for is read from the example itself (its route table and its handlers), never written here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { apiRouteTable } from "@dynamodb-starter/kit/runtime";
import { loadFunctions } from "../src/functions";
import { loadContract, project } from "../src/project";
import { TEMPLATE_ROOT as ROOT } from "./support/env";

const example = project(ROOT);
const OURS = ["src/kit/src", "scripts/src", "scripts/checks", "scripts/presets", "scripts/terraform"];
const files = OURS.flatMap((dir) =>
  readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|cjs|tf|hcl|json|yaml)$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name))),
);

/** The example's route path segments (as "/segment") and its functions' names, except what the kit adds itself. */
function exampleNames(): RegExp[] {
  const kitOwn = new Set(apiRouteTable({ routes: {} }).flatMap((r) => r.routeKey.split(" ")[1]!.split("/")));
  const segments = new Set(
    apiRouteTable(loadContract(example).api).flatMap((r) =>
      r.routeKey
        .split(" ")[1]!
        .split("/")
        .filter((s) => s && !s.startsWith("{") && !kitOwn.has(s)),
    ),
  );
  const functions = loadFunctions(example)
    .filter((f) => f.kind !== "http")
    .map((f) => f.name);
  return [...[...segments].map((s) => new RegExp(`/${s}\\b`)), ...functions.map((name) => new RegExp(`\\b${name}\\b`))];
}

it("finds our files and the example's names to look for", () => {
  expect(files.length).toBeGreaterThan(50);
  expect(exampleNames().length).toBeGreaterThanOrEqual(3);
});

it("name none of the example's routes or functions", () => {
  const names = exampleNames();
  const found = files.flatMap((file) =>
    readFileSync(join(ROOT, file), "utf8")
      .split("\n")
      .flatMap((line, i) => names.filter((n) => n.test(line)).map((n) => `${file}:${i + 1} ${n.source}: ${line.trim().slice(0, 120)}`)),
  );
  expect(found).toEqual([]);
});
