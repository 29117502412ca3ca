/**
 * `starter terraform <service|bootstrap> <terraform arguments...>`: terraform
 * run in a root of the CLI's configuration, assembled under
 * dist/terraform/check-<name>/ (the service's with the service's own
 * infra/*.tf beside it, or the bootstrap's): what `make infra-test` and
 * `make infra-lock` run (init -backend=false, validate, test, providers lock).
 * A lock file that `providers lock` writes is copied back beside the
 * configuration, where it is committed and ships with it.
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import { project, type Project } from "../project";
import { assembleRoot, BOOTSTRAP_MODULE, SERVICE_MODULE, terraform } from "./terraform";

const MODULES: Record<string, string> = { service: SERVICE_MODULE, bootstrap: BOOTSTRAP_MODULE };

export async function main([name, ...args]: string[], p: Project = project()): Promise<void> {
  const module = name === undefined ? undefined : MODULES[name];
  if (!module || args.length === 0) throw new ConfigError("usage: starter terraform <service|bootstrap> <terraform arguments...>");
  const root = assembleRoot(p, `check-${name}`, module, { withTeamFiles: name === "service" });
  await terraform(root, args);
  const lock = join(root, ".terraform.lock.hcl");
  if (args[0] === "providers" && args[1] === "lock" && existsSync(lock)) copyFileSync(lock, join(module, ".terraform.lock.hcl"));
}
