/**
 * The project the CLI's tests run against: the fixture app in fixtures/tickets/,
 * an app unlike the starter's example (its own entities, routes, stream
 * consumer, scheduled job, migrations and deployments), so that no test of the
 * CLI can pass by knowing the example.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { linkNodeModules, TEMPLATE_ROOT } from "./env";
import { loadDeployment, type AwsDeployment } from "../../src/deployments";
import { loadFunctions } from "../../src/functions";
import { project } from "../../src/project";
import { writeVarFile } from "../../src/aws/terraform";
import { BACKFILL_WORKER } from "../../src/build";

export const FIXTURE = project(resolve(__dirname, "..", "fixtures", "tickets"));

/** The fixture's functions, loaded once per test file. */
export const FUNCTIONS = loadFunctions(FIXTURE);

/** The fixture's AWS deployment (infra/deployments.json: "staging"). */
export const fixtureDeployment = (name = "staging") => loadDeployment(name, { project: FIXTURE }) as AwsDeployment;

/** Terraform's var file for `d`, as make deploy writes it, with each function's zip named as if built into `dir`. */
export const writeVars = (d: AwsDeployment, dir: string) =>
  writeVarFile(
    d,
    FUNCTIONS,
    [...FUNCTIONS.map((f) => f.name), BACKFILL_WORKER].map((name) => ({ name, zipFile: join(dir, `${name}.zip`) })),
    FIXTURE,
    dir,
  );

/**
 * A scratch copy of the fixture service, to change between deploys: its own folder, this repository's kit (by
 * tsconfig paths) and installed packages (linked). Returns the project; `remove` deletes it.
 */
export function scratchFixture(prefix: string): { p: ReturnType<typeof project>; remove: () => void } {
  const root = join(mkdtempSync(join(tmpdir(), `${prefix}-`)), "service");
  cpSync(FIXTURE.root, root, { recursive: true });
  cpSync(join(TEMPLATE_ROOT, "package.json"), join(root, "package.json"));
  writeFileSync(
    join(root, "tsconfig.json"),
    JSON.stringify({
      extends: "@dynamodb-starter/cli/presets/tsconfig.json",
      compilerOptions: { paths: { "@dynamodb-starter/kit/*": [join(TEMPLATE_ROOT, "src", "kit", "src", "*")] } },
      include: ["src"],
    }),
  );
  writeFileSync(join(root, ".gitignore"), "node_modules/\ndist/\n.local/\n");
  linkNodeModules(root);
  return { p: project(root), remove: () => rmSync(join(root, ".."), { recursive: true, force: true }) };
}
