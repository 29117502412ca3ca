/**
 * Both packages as a team outside this repository gets them: `npm pack` of the kit and the CLI, installed into an
 * empty project (packages from npm's cache, which `npm ci` filled; nothing from this repository), with the fixture
 * app as the service. The CLI's presets type-check it against the kit's shipped declarations, and `starter build`
 * bundles its functions.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_ROOT } from "../src/project";
import { TEMPLATE_ROOT } from "./support/env";
import { FIXTURE, FUNCTIONS } from "./support/functions";

const KIT = join(TEMPLATE_ROOT, "src", "kit");
const work = mkdtempSync(join(tmpdir(), "cli-pack-"));
const service = join(work, "service");
const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const pack = (dir: string) =>
  (JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], dir)) as { filename: string; files: { path: string }[] }[])[0]!;
let cli: { filename: string; files: { path: string }[] };

beforeAll(() => {
  const kit = pack(KIT);
  cli = pack(CLI_ROOT);
  mkdirSync(service);
  for (const owned of ["src/app", "src/handlers", "infra"]) cpSync(join(FIXTURE.root, owned), join(service, owned), { recursive: true });
  writeFileSync(join(service, "package.json"), JSON.stringify({ name: "box-office", private: true }));
  writeFileSync(
    join(service, "tsconfig.json"),
    JSON.stringify({ extends: "@dynamodb-starter/cli/presets/tsconfig.json", compilerOptions: { types: ["node"] }, include: ["src"] }),
  );
  run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      join(work, kit.filename),
      join(work, cli.filename),
      "@aws-sdk/client-dynamodb@3.1162.0",
      "@aws-sdk/lib-dynamodb@3.1162.0",
      "@types/node@20.19.43",
    ],
    service,
  );
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(join(KIT, "dist"), { recursive: true, force: true }); // in this repository the kit resolves to its source
});

describe("the packed CLI, installed with the packed kit", () => {
  it("ships its command, presets, Terraform modules, checks and docs, and none of its own tests", () => {
    const paths = cli.files.map((f) => f.path);
    for (const path of [
      "bin/starter.mjs",
      "presets/jest.cjs",
      "presets/eslint.mjs",
      "presets/tsconfig.json",
      "terraform/service/lambda.tf",
      "terraform/bootstrap/policies/deployer-policy.json",
      "checks/lambdaPermissions.test.ts",
      "README.md",
      "CHANGELOG.md",
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths.filter((p) => p.startsWith("test/"))).toEqual([]);
  });

  it("type-checks the service with its preset against the kit's declarations, and builds every function", () => {
    const tsc = spawnSync(process.execPath, [join(service, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", service], { encoding: "utf8" });
    expect({ status: tsc.status, output: tsc.stdout + tsc.stderr }).toEqual({ status: 0, output: "" });
    const build = spawnSync(join(service, "node_modules", ".bin", "starter"), ["build"], { cwd: service, encoding: "utf8", timeout: 120_000 });
    expect({ status: build.status, stderr: build.stderr }).toMatchObject({ status: 0 });
    for (const f of FUNCTIONS) expect({ zip: f.name, built: existsSync(join(service, "dist", `${f.name}.zip`)) }).toEqual({ zip: f.name, built: true });
  });
});
