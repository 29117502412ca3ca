/**
 * `make seed [FILE=...]`: imports a JSON file of records into a deployment's
 * table, as the app's contract describes them (sections, their schemas,
 * references across records, and the items each becomes). Every record is
 * validated first; if any is bad, all problems are reported by position and
 * nothing is written. Then the items are batch-written with progress. The
 * same file gives the same items, so a re-run is safe.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConfigError, StarterError, batchWriteAll, createClient, createDocumentClient, validate } from "@dynamodb-starter/kit/runtime";
import { type SeedDefinition } from "@dynamodb-starter/kit/contract";
import { assertCredentials } from "./aws/credentials";
import { deploymentTable } from "./deployments";
import { loadContract, project, type Project } from "./project";

export class SeedValidationError extends StarterError<"SEED_INVALID"> {
  override name = "SeedValidationError";
  constructor(readonly problems: string[]) {
    super("SEED_INVALID", `the seed file has ${problems.length} problem(s); nothing was written:\n  ${problems.join("\n  ")}`);
  }
}

type Records = Record<string, unknown[]>;

/** Validates the whole document; returns it normalized or throws listing every problem as `section[index].field: message`. */
export function validateSeed(document: unknown, definition: SeedDefinition = loadContract().seed): Records {
  const names = Object.keys(definition.sections);
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new SeedValidationError([`the file must hold a JSON object with the sections ${names.join(", ")}`]);
  }
  const problems: string[] = [];
  for (const key of Object.keys(document)) if (!names.includes(key)) problems.push(`${key}: unknown section (expected ${names.join(", ")})`);
  const seed: Records = {};
  for (const [section, schema] of Object.entries(definition.sections)) {
    const records = (document as Record<string, unknown>)[section] ?? [];
    if (!Array.isArray(records)) {
      problems.push(`${section}: must be a list`);
      seed[section] = [];
      continue;
    }
    seed[section] = records.map((record, index) => {
      const result = validate(schema, record);
      if (result.ok) return result.value;
      for (const issue of result.issues) problems.push(`${section}[${index}]${issue.path ? `.${issue.path}` : ""}: ${issue.message}`);
      return undefined;
    });
  }
  problems.push(...(definition.references?.(seed) ?? []));
  if (problems.length > 0) throw new SeedValidationError(problems);
  return seed;
}

export function readSeedFile(file: string, definition: SeedDefinition = loadContract().seed): Records {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return validateSeed(document, definition);
}

/** Writes a validated seed; returns the number of items written. */
export async function writeSeed(
  table: { documentClient: DynamoDBDocumentClient; tableName: string },
  seed: Records,
  log: (line: string) => void = console.log,
  definition: SeedDefinition = loadContract().seed,
): Promise<number> {
  const items = definition.items(seed, table);
  const started = Date.now();
  await batchWriteAll(
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
    (written, total) => log(`  seeded ${written}/${total} items (${Math.round(written / Math.max((Date.now() - started) / 1000, 0.001))} items/s)`),
  );
  return items.length;
}

/** `make seed [FILE=...] [DEPLOYMENT=...]`. */
export async function main(argv: string[], p: Project = project()): Promise<void> {
  const definition = loadContract(p).seed;
  const { values } = parseArgs({
    args: argv,
    options: { file: { type: "string", default: definition.file }, deployment: { type: "string", default: "local" } },
  });
  const seed = readSeedFile(values.file!, definition);
  const config = await deploymentTable(values.deployment!, p);
  const client = createClient(config);
  try {
    if (!config.endpoint) await assertCredentials(client, config.region);
    console.log(`seeding table "${config.tableName}" from ${values.file}`);
    const written = await writeSeed({ documentClient: createDocumentClient(client), tableName: config.tableName }, seed, console.log, definition);
    console.log(`wrote ${written} items`);
  } finally {
    client.destroy();
  }
}
