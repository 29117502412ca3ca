import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { readSeedFile, SeedValidationError, validateSeed, writeSeed } from "../src/seed";
import { contract } from "./service";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";

// The importer on whatever app the service's contract describes.
const { client, documentClient } = localClients();
const tableName = uniqueTableName("seed-import");
beforeAll(() => ensureTable({ client, tableName }));
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

const keysInTable = async () =>
  ((await documentClient.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? []).map((i) => `${i.pk} ${i.sk}`).sort();

describe("make seed on the app's seed file", () => {
  it("validates the shipped file, writes every item it describes, and writes the same items again on a re-run", async () => {
    const seed = readSeedFile(contract.seed.file, contract.seed);
    const expected = contract.seed.items(seed, { documentClient, tableName });
    const lines: string[] = [];
    expect(await writeSeed({ documentClient, tableName }, seed, (line) => lines.push(line), contract.seed)).toBe(expected.length);
    expect(lines.at(-1)).toMatch(new RegExp(`^ {2}seeded ${expected.length}/${expected.length} items \\(\\d+ items/s\\)$`));
    const first = await keysInTable();
    expect(first).toEqual(expected.map((i) => `${i.pk} ${i.sk}`).sort());

    await writeSeed({ documentClient, tableName }, seed, () => {}, contract.seed);
    expect(await keysInTable()).toEqual(first);
  });

  it("refuses a document that is not an object, an unknown section and a section that is not a list, writing nothing", () => {
    const [section] = Object.keys(contract.seed.sections);
    expect(() => validateSeed([], contract.seed)).toThrow(SeedValidationError);
    let problems: string[] = [];
    try {
      validateSeed({ [section!]: "not a list", nonsense: [] }, contract.seed);
    } catch (error) {
      problems = (error as SeedValidationError).problems;
    }
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^nonsense: unknown section/), `${section}: must be a list`]));
  });

  it("validates any JSON document without throwing anything but SeedValidationError, and returns only what the schemas accept (1,000 seeded runs)", () => {
    const sections = Object.keys(contract.seed.sections);
    const example = readSeedFile(contract.seed.file, contract.seed);
    // Arbitrary JSON, and documents shaped like a seed: known and unknown sections, records mutated from the example's.
    const record = fc.oneof(fc.jsonValue(), ...sections.map((name) => fc.constantFrom(...(example[name]?.length ? example[name]! : [{}]))));
    const shaped = fc.dictionary(
      fc.oneof(fc.constantFrom(...sections), fc.string({ maxLength: 6 })),
      fc.oneof(fc.array(record, { maxLength: 4 }), fc.jsonValue()),
      {
        maxKeys: sections.length + 1,
      },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), shaped), (document) => {
        let result: Record<string, unknown[]> | undefined;
        try {
          result = validateSeed(document, contract.seed);
        } catch (error) {
          expect(error).toBeInstanceOf(SeedValidationError);
          expect((error as SeedValidationError).problems.length).toBeGreaterThan(0);
          return;
        }
        // Accepted: only known sections, each a list of records its schema accepts as they are returned.
        expect(Object.keys(result).every((name) => sections.includes(name))).toBe(true);
        for (const [name, records] of Object.entries(result)) {
          for (const r of records) expect(contract.seed.sections[name]!.safeParse(r).success).toBe(true);
        }
      }),
      { numRuns: 1_000, seed: 20_261_123 },
    );
  });
});
