import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
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

/**
 * node_modules for a scratch copy of the repository at `root`: each installed package is this repository's (linked),
 * but the workspaces (@dynamodb-starter/kit and /cli) and the bins that run them are the copy's own, and so are the
 * caches. What the copy runs of ours is then its own files, and nothing it does reaches this repository's tree.
 */
export function linkNodeModules(root: string): void {
  const from = join(TEMPLATE_ROOT, "node_modules");
  const to = join(root, "node_modules");
  mkdirSync(join(to, "@dynamodb-starter"), { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry === "@dynamodb-starter" || entry === ".bin" || entry === ".cache") continue;
    symlinkSync(join(from, entry), join(to, entry));
  }
  symlinkSync(join(root, "src", "kit"), join(to, "@dynamodb-starter", "kit"));
  symlinkSync(join(root, "scripts"), join(to, "@dynamodb-starter", "cli"));
  // The bins are relative links (../jest/bin/jest.js): copied as links, they resolve inside the copy.
  cpSync(join(from, ".bin"), join(to, ".bin"), { recursive: true, verbatimSymlinks: true });
  rmSync(join(to, ".package-lock.json"), { force: true });
  cpSync(join(from, ".package-lock.json"), join(to, ".package-lock.json"));
}
