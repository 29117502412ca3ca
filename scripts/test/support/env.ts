import { resolve } from "node:path";
import { linkInstalledPackages } from "../../src/scratch";
import { assertTerraform } from "../../src/aws/terraform";

/** Runs a test body with some environment variables set (or, given undefined, removed), restoring them after. */
export function withEnv(vars: Record<string, string | undefined>, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    const saved = { ...process.env };
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      await body();
    } finally {
      process.env = saved;
    }
  };
}

/** No AWS credentials from anywhere: environment, profiles, instance metadata. */
export const NO_AWS_CREDENTIALS = {
  AWS_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
  AWS_CONFIG_FILE: "/nonexistent",
  AWS_EC2_METADATA_DISABLED: "true",
};

/** Whether a usable terraform is on PATH: where none is, commands stop at that check before the credentials one. */
export function terraformOnPath(): boolean {
  try {
    assertTerraform();
    return true;
  } catch {
    return false;
  }
}

/**
 * The template repository the CLI ships in: its thin glue (Makefile, workflows,
 * root configs) is the CLI's too, and tested here; the app in it is not read.
 */
export const TEMPLATE_ROOT = resolve(__dirname, "..", "..", "..");

/** node_modules for a scratch copy of this repository (see scratch.ts). */
export const linkNodeModules = (root: string) => linkInstalledPackages(root, TEMPLATE_ROOT);
