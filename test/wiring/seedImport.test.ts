import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { readSeedFile, SeedValidationError, validateSeed, writeSeed } from "../../scripts/seed";
import { contract } from "../../src/app/contract";
import { ensureTable } from "../../src/lib";
import { clients, deleteTable, uniqueTableName } from "../support/dynamo";

// The importer on whatever app the contract describes: this test stays when the app is replaced.
const { client, documentClient } = clients();
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
    const seed = readSeedFile(contract.seed.file);
    const expected = contract.seed.items(seed, { documentClient, tableName });
    const lines: string[] = [];
    expect(await writeSeed({ documentClient, tableName }, seed, (line) => lines.push(line))).toBe(expected.length);
    expect(lines.at(-1)).toMatch(new RegExp(`^ {2}seeded ${expected.length}/${expected.length} items \\(\\d+ items/s\\)$`));
    const first = await keysInTable();
    expect(first).toEqual(expected.map((i) => `${i.pk} ${i.sk}`).sort());

    await writeSeed({ documentClient, tableName }, seed, () => {});
    expect(await keysInTable()).toEqual(first);
  });

  it("refuses a document that is not an object, an unknown section and a section that is not a list, writing nothing", () => {
    const [section] = Object.keys(contract.seed.sections);
    expect(() => validateSeed([])).toThrow(SeedValidationError);
    let problems: string[] = [];
    try {
      validateSeed({ [section!]: "not a list", nonsense: [] });
    } catch (error) {
      problems = (error as SeedValidationError).problems;
    }
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^nonsense: unknown section/), `${section}: must be a list`]));
  });
});
