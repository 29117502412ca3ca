/**
 * `make openapi`: the service's API contract, openapi.json at its root, generated from the route table the handler
 * serves (each route's declaration: route() of the kit), titled and versioned by the contract's `info`.
 * Committed: consumers and reviewers read it, and `make test` fails while it is not what the routes say.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openApiDocument } from "@dynamodb-starter/kit/contract";
import { loadContract, project, type Project } from "./project";

export const specFile = (p: Project) => join(p.root, "openapi.json");

/** The spec the routes describe, as the file holds it (two-space JSON and a final newline). */
export function generatedSpec(p: Project = project()): string {
  const { api, info = { title: "API", version: "0.1.0" } } = loadContract(p);
  return `${JSON.stringify(openApiDocument(api, info), null, 2)}\n`;
}

export async function main(_argv: string[], p: Project = project()): Promise<void> {
  const text = generatedSpec(p);
  const file = specFile(p);
  let before = "";
  try {
    before = readFileSync(file, "utf8");
  } catch {
    // first run
  }
  if (before === text) return console.log(`openapi.json is up to date (${Object.keys((JSON.parse(text) as { paths: object }).paths).length} paths)`);
  writeFileSync(file, text);
  console.log(`wrote openapi.json (${Object.keys((JSON.parse(text) as { paths: object }).paths).length} paths): commit it with the routes`);
}
