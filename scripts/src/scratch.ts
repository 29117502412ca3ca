/**
 * Scratch copies of a service (another revision in a git worktree, a clone in a test): they run with the packages
 * already installed, not an install of their own.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * node_modules for the copy at `root`, from the service installed at `installed`: each package linked, but the
 * workspaces (@dynamodb-starter/kit and /cli) and the bins that run them are the copy's own where it has them (their
 * unhoisted dependencies linked too), and so are the caches. What the copy runs of ours is then its own files, and nothing it does reaches the installed tree.
 */
export function linkInstalledPackages(root: string, installed: string): void {
  const from = join(installed, "node_modules");
  const to = join(root, "node_modules");
  mkdirSync(join(to, "@dynamodb-starter"), { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry === "@dynamodb-starter" || entry === ".bin" || entry === ".cache") continue;
    symlinkSync(join(from, entry), join(to, entry));
  }
  for (const [name, folder] of [
    ["kit", join("src", "kit")],
    ["cli", "scripts"],
  ] as const) {
    const own = join(root, folder);
    symlinkSync(existsSync(join(own, "package.json")) ? own : join(from, "@dynamodb-starter", name), join(to, "@dynamodb-starter", name));
    // A workspace's own dependencies that npm could not hoist (another version than the root's) live in its folder.
    const nested = join(installed, folder, "node_modules");
    if (existsSync(join(own, "package.json")) && existsSync(nested) && !existsSync(join(own, "node_modules"))) symlinkSync(nested, join(own, "node_modules"));
  }
  // The bins are relative links (../jest/bin/jest.js): copied as links, they resolve inside the copy.
  cpSync(join(from, ".bin"), join(to, ".bin"), { recursive: true, verbatimSymlinks: true });
  rmSync(join(to, ".package-lock.json"), { force: true });
  if (existsSync(join(from, ".package-lock.json"))) cpSync(join(from, ".package-lock.json"), join(to, ".package-lock.json"));
}
