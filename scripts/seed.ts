/**
 * `make seed [FILE=...]`: imports users, companies, memberships and events
 * from a JSON file. Every record is validated first, with the API's own
 * schemas and references checked inside the file; if any is bad, all bad
 * ones are reported by position and nothing is written. Then the items are
 * batch-written with progress. Re-running writes the same items again
 * (event ids derive from their content), so it is safe.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PutItemCommand } from "dynamodb-toolbox/entity/actions/put";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BATCH_WRITE_LIMIT, writeChunk, type WriteRequest } from "../src/db/batchWrite";
import { createClient, createDocumentClient } from "../src/db/clients";
import { ConfigError } from "../src/db/errors";
import { createModel } from "../src/model";
import * as schemas from "../src/model/schemas";
import * as z from "zod/mini";
import { assertCredentials } from "./credentials";
import { deploymentTable } from "./deployments";

export class SeedValidationError extends ConfigError {
  override name = "SeedValidationError";
  constructor(readonly problems: string[]) {
    super(`the seed file has ${problems.length} invalid record(s); nothing was written:\n  ${problems.join("\n  ")}`);
  }
}

const membership = z.strictObject({ company: schemas.companyName, email: schemas.email, role: schemas.role });
const event = z.strictObject({ email: schemas.email, type: schemas.eventType, at: schemas.isoTime, data: schemas.eventData });
const sections = { users: schemas.createUser, companies: schemas.createCompany, memberships: membership, events: event } as const;

type Seed = {
  users: z.output<typeof schemas.createUser>[];
  companies: z.output<typeof schemas.createCompany>[];
  memberships: z.output<typeof membership>[];
  events: z.output<typeof event>[];
};

/** Validates the whole document; returns it normalized or throws listing every problem as `section[index].field: message`. */
export function validateSeed(document: unknown): Seed {
  const problems: string[] = [];
  if (typeof document !== "object" || document === null || Array.isArray(document)) throw new SeedValidationError(["the file must hold a JSON object with users, companies, memberships, events"]);
  const seed: Record<string, unknown[]> = {};
  for (const key of Object.keys(document)) if (!(key in sections)) problems.push(`${key}: unknown section (expected ${Object.keys(sections).join(", ")})`);
  for (const [section, schema] of Object.entries(sections)) {
    const records = (document as Record<string, unknown>)[section] ?? [];
    if (!Array.isArray(records)) {
      problems.push(`${section}: must be a list`);
      continue;
    }
    seed[section] = records.map((record, index) => {
      const result = schemas.validate(schema, record);
      if (!result.ok) for (const issue of result.issues) problems.push(`${section}[${index}]${issue.path ? `.${issue.path}` : ""}: ${issue.message}`);
      return result.ok ? result.value : undefined;
    });
  }
  const users = new Set((seed.users ?? []).map((u) => (u as { email?: string } | undefined)?.email));
  const companies = new Set((seed.companies ?? []).map((c) => (c as { name?: string } | undefined)?.name));
  (seed.memberships ?? []).forEach((m, i) => {
    const { email, company } = (m ?? {}) as { email?: string; company?: string };
    if (email && !users.has(email)) problems.push(`memberships[${i}].email: user "${email}" is not in this file's users`);
    if (company && !companies.has(company)) problems.push(`memberships[${i}].company: company "${company}" is not in this file's companies`);
  });
  (seed.events ?? []).forEach((e, i) => {
    const { email } = (e ?? {}) as { email?: string };
    if (email && !users.has(email)) problems.push(`events[${i}].email: user "${email}" is not in this file's users`);
  });
  if (problems.length > 0) throw new SeedValidationError(problems);
  return seed as unknown as Seed;
}

export function readSeedFile(file: string): Seed {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return validateSeed(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new ConfigError(`${file} is not valid JSON: ${error.message}`);
    throw error;
  }
}

/** Writes a validated seed; returns the number of items written. */
export async function writeSeed(
  { documentClient, tableName }: { documentClient: DynamoDBDocumentClient; tableName: string },
  seed: Seed,
  log: (line: string) => void = console.log,
): Promise<number> {
  const { User, Company, Membership, Event } = createModel({ documentClient, tableName });
  const put = (params: { Item?: Record<string, unknown> }): WriteRequest => ({ PutRequest: { Item: params.Item! } });
  const requests: WriteRequest[] = [
    ...seed.users.map((u) => put(User.build(PutItemCommand).item(u).params())),
    ...seed.companies.map((c) => put(Company.build(PutItemCommand).item(c).params())),
    ...seed.memberships.map((m) => put(Membership.build(PutItemCommand).item({ ...m, joinedAt: "2026-01-01T00:00:00.000Z" }).params())),
    ...seed.events.map((e) => {
      const id = createHash("sha256").update(JSON.stringify([e.email, e.at, e.type, e.data ?? null])).digest("hex").slice(0, 32);
      return put(Event.build(PutItemCommand).item({ ...e, id }).params());
    }),
  ];
  const started = Date.now();
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
    await writeChunk({ documentClient, tableName }, requests.slice(i, i + BATCH_WRITE_LIMIT));
    const done = Math.min(i + BATCH_WRITE_LIMIT, requests.length);
    log(`  seeded ${done}/${requests.length} items (${Math.round(done / Math.max((Date.now() - started) / 1000, 0.001))} items/s)`);
  }
  return requests.length;
}

if (require.main === module) {
  (async () => {
    const { values } = parseArgs({ options: { file: { type: "string", default: join(__dirname, "seed", "example.json") }, deployment: { type: "string", default: "local" } } });
    const seed = readSeedFile(values.file!);
    const config = await deploymentTable(values.deployment!);
    const client = createClient(config);
    try {
      if (!config.endpoint) await assertCredentials(client, config.region);
      console.log(`seeding table "${config.tableName}" from ${values.file}`);
      const written = await writeSeed({ documentClient: createDocumentClient(client), tableName: config.tableName }, seed);
      console.log(`wrote ${written} items`);
    } finally {
      client.destroy();
    }
  })().catch((error: unknown) => {
    console.error(`seed: ${error instanceof Error ? (process.env.DEBUG ? error.stack : error.message) : String(error)}`);
    process.exit(1);
  });
}
