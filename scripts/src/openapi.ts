/**
 * `make openapi`: the service's API contract, openapi.json at its root, generated from the route table the handler
 * serves (each route's declaration: route() of the kit), titled and versioned by the contract's `info`; and its
 * TypeScript types for a typed client (openapi-typescript: src/app/openapi.d.ts, used with openapi-fetch). Both are
 * committed: consumers and reviewers read the spec, the service's own tests call it through the client, and
 * `make test` fails while either is not what the routes say.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openApiDocument } from "@dynamodb-starter/kit/contract";
import { CLI_ROOT, loadContract, project, type Project } from "./project";

export const specFile = (p: Project) => join(p.root, "openapi.json");
export const typesFile = (p: Project) => join(p.root, "src", "app", "openapi.d.ts");

/** The spec the routes describe, as the file holds it (two-space JSON and a final newline). */
export async function generatedSpec(p: Project = project()): Promise<string> {
  const { api, info = { title: "API", version: "0.1.0" } } = loadContract(p);
  return `${JSON.stringify(await openApiDocument(api, info), null, 2)}\n`;
}

/**
 * The spec's types, as openapi-typescript writes them: `paths` for openapi-fetch's createClient<paths>(). It is an ES
 * module, which the CLI's CommonJS (and jest) cannot load: run in a process of its own, resolved from the CLI.
 */
export function generatedTypes(spec: string): string {
  const script = `import openapiTS, { astToString } from "openapi-typescript";
let input = ""; for await (const chunk of process.stdin) input += chunk;
process.stdout.write(astToString(await openapiTS(JSON.parse(input), { alphabetize: true })));`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { input: spec, cwd: CLI_ROOT, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`openapi-typescript failed on the spec: ${run.stderr.trim()}`);
  return `// Written by make openapi from openapi.json: do not edit.\n${run.stdout}`;
}

const read = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
};

export async function main(_argv: string[], p: Project = project()): Promise<void> {
  const spec = await generatedSpec(p);
  const types = generatedTypes(spec);
  const paths = Object.keys((JSON.parse(spec) as { paths: object }).paths).length;
  const changed = [
    [specFile(p), spec],
    [typesFile(p), types],
  ].filter(([file, text]) => read(file!) !== text);
  for (const [file, text] of changed) writeFileSync(file!, text!);
  console.log(
    changed.length
      ? `wrote ${changed.map(([file]) => file!.slice(p.root.length + 1)).join(" and ")} (${paths} paths): commit them with the routes`
      : `openapi.json and its types are up to date (${paths} paths)`,
  );
}
