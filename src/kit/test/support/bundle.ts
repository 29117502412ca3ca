/**
 * Bundles a TypeScript entry for `node` to run as a separate process; packages stay in node_modules.
 * Every module of a bundle shares one `module`, so a bundled script would take itself for the command
 * being run (where it asks `require.main === module`): `require.main` is defined away.
 */
import { build } from "esbuild";
import { join, resolve } from "node:path";

export async function bundleForNode(entry: string, name: string): Promise<string> {
  const outfile = resolve(__dirname, "../../../../node_modules/.cache/test-bundles", `${name}-${process.pid}.js`);
  await build({
    entryPoints: [join(__dirname, entry)],
    bundle: true,
    platform: "node",
    format: "cjs",
    packages: "external",
    outfile,
    logLevel: "error",
    define: { "require.main": "undefined" },
  });
  return outfile;
}
