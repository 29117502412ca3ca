/**
 * The project the CLI's tests run against: the fixture app in fixtures/tickets/,
 * an app unlike the starter's example (its own entities, routes, stream
 * consumer, scheduled job, migrations and deployments), so that no test of the
 * CLI can pass by knowing the example.
 */
import { join, resolve } from "node:path";
import { loadDeployment, type AwsDeployment } from "../../src/deployments";
import { loadFunctions } from "../../src/functions";
import { project } from "../../src/project";
import { writeVarFile } from "../../src/aws/terraform";

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
    FUNCTIONS.map((f) => ({ name: f.name, zipFile: join(dir, `${f.name}.zip`) })),
    FIXTURE,
    dir,
  );
