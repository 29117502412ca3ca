/**
 * Where a service's files are. The CLI runs in the service's repository (its
 * working directory, or STARTER_ROOT) and finds everything of the team's by
 * convention under it; it reads the app only through these: its contract, its
 * handler modules, its migrations folder, its deployments file. Where the
 * CLI's own files are (the Terraform it drives, its docs) is CLI_ROOT.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import type { AppContract } from "@dynamodb-starter/kit/contract";

/** This package's own folder: its Terraform, its presets, its docs. */
export const CLI_ROOT = resolve(__dirname, "..");

/**
 * Node's arguments that run one of the CLI's TypeScript files as a process of its own (the local API, a local
 * function): tsx, found from this package, so the child starts from any working directory.
 */
export const tsxEntry = (...file: string[]) => ["--import", pathToFileURL(require.resolve("tsx")).href, join(CLI_ROOT, "src", ...file)];

export interface Project {
  /** The service repository's root. */
  root: string;
  /** The app: src/app/, whose contract.ts is all the CLI reads of it. */
  contractFile: string;
  /** The app's migrations: src/app/migrations/ (NNNN-name.ts and the index.ts that lists them). */
  migrationsDir: string;
  /** One module per function: src/handlers/. */
  handlersDir: string;
  /** infra/: deployments.json, and any .tf of the team's, placed beside the CLI's Terraform. */
  infraDir: string;
  deploymentsFile: string;
  /** Build output, generated var files and assembled Terraform roots: dist/ (git-ignored). */
  distDir: string;
  /** The built-in local deployment's data, logs and pid files: .local/ (git-ignored). */
  localStateDir: string;
}

/** The project rooted at `root`: by default the working directory, or STARTER_ROOT. */
export function project(root = process.env.STARTER_ROOT || process.cwd()): Project {
  const at = resolve(root);
  return {
    root: at,
    contractFile: join(at, "src", "app", "contract.ts"),
    migrationsDir: join(at, "src", "app", "migrations"),
    handlersDir: join(at, "src", "handlers"),
    infraDir: join(at, "infra"),
    deploymentsFile: join(at, "infra", "deployments.json"),
    distDir: join(at, "dist"),
    localStateDir: join(at, ".local"),
  };
}

/** The app's contract (src/app/contract.ts, its export `contract`); refuses a project without one, saying what to write. */
export function loadContract(p: Project = project()): AppContract {
  let loaded: { contract?: AppContract };
  try {
    loaded = require(p.contractFile) as { contract?: AppContract };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(p.contractFile)) {
      throw new ConfigError(`${p.contractFile} does not exist: the app describes itself to the tooling there (export const contract: AppContract).`);
    }
    throw error;
  }
  if (!loaded.contract) throw new ConfigError(`${p.contractFile} must export \`contract\` (an AppContract from "@dynamodb-starter/kit/contract").`);
  return loaded.contract;
}
