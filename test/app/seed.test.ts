import { readSeedFile, SeedValidationError, validateSeed, writeSeed } from "../../scripts/src/seed";
import { contract } from "../../src/app/contract";
import { createService } from "../../src/app/service";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("seed");
beforeAll(() => ensureTable({ client, tableName }));
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("seed import", () => {
  it("reports every bad record by position, references included, before anything is written", () => {
    let problems: string[] = [];
    try {
      validateSeed({
        users: [
          { email: "ok@example.com", name: "Ok" },
          { email: "not-an-email", name: "" },
        ],
        companies: [{ name: "Acme" }],
        memberships: [
          { company: "Acme", email: "ghost@example.com", role: "member" },
          { company: "Nowhere", email: "ok@example.com", role: "boss" },
        ],
        events: [{ email: "ok@example.com", type: "login", at: "yesterday" }],
        extra: [],
      });
    } catch (error) {
      expect(error).toBeInstanceOf(SeedValidationError);
      problems = (error as SeedValidationError).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^extra: unknown section/),
        expect.stringMatching(/^users\[1\]\.email: /),
        expect.stringMatching(/^users\[1\]\.name: /),
        'memberships[0].email: user "ghost@example.com" is not in this file\'s users',
        expect.stringMatching(/^memberships\[1\]\.role: /),
        expect.stringMatching(/^events\[0\]\.at: /),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  it("writes the shipped example so that the service reads it", async () => {
    await writeSeed({ documentClient, tableName }, readSeedFile(contract.seed.file), () => {});
    const service = createService({ documentClient, tableName });
    process.env.CURSOR_SECRET ??= "test-cursor-secret-not-for-production";
    expect((await service.listMembers("Analytical Engines", { limit: 10 })).items.map((m) => m.email)).toEqual(["ada@example.com", "alan@example.com"]);
  });
});
