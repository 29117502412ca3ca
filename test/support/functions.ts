import { join } from "node:path";
import type { AwsDeployment } from "../../scripts/deployments";
import { loadFunctions } from "../../scripts/functions";
import { writeVarFile } from "../../scripts/terraform";

/** The functions of src/handlers/, loaded once per test file. */
export const FUNCTIONS = loadFunctions();

/** Terraform's var file for `d`, as make deploy writes it, with each function's zip named as if built into `dir`. */
export const writeVars = (d: AwsDeployment, dir: string) =>
  writeVarFile(
    d,
    FUNCTIONS,
    FUNCTIONS.map((f) => ({ name: f.name, zipFile: join(dir, `${f.name}.zip`) })),
    dir,
  );
