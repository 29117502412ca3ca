/**
 * umzug as a bundle hands it over: esbuild's lazy chunk of a CommonJS package exposes its exports under `default`
 * only, and a broken translation must never hide why a migration failed. The module is reshaped here (not replaced):
 * what runs is umzug itself, against DynamoDB Local.
 */
jest.mock("umzug", () => {
  const actual = jest.requireActual("umzug");
  // Only `default`, and without MigrationError: the shape that made the runner throw a TypeError over the real cause.
  return { __esModule: true, default: { ...actual, MigrationError: undefined } };
});

import { ensureTable } from "../src/table/ensureTable";
import { migrator } from "../src/migrations/migrationRunner";
import { deleteTable, localClients, uniqueTableName } from "../src/testing/tables";

const { client, documentClient } = localClients();
const tableName = uniqueTableName("bundle-shape");
afterAll(async () => {
  await deleteTable(client, tableName);
  client.destroy();
});

describe("the migration runner, given umzug as a bundle's lazy chunk exposes it", () => {
  it("applies migrations, and reports a failing one by its own error even when translating it fails", async () => {
    await ensureTable({ client, tableName });
    const lines: string[] = [];
    const ok = { name: "0001-ok", up: async () => {}, down: async () => {} };
    const broken = { name: "0002-broken", up: async () => Promise.reject(new Error("the index name is wrong")), down: async () => {} };
    const m = migrator({ client, documentClient, tableName, migrations: [ok, broken], log: (line) => lines.push(line) });
    const failure = await m.up().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure?.name).not.toBe("TypeError");
    expect(`${failure?.message} ${String((failure as { cause?: unknown })?.cause)}`).toContain("the index name is wrong");
    expect(lines.some((l) => l.startsWith("applied 0001-ok"))).toBe(true);
    expect(lines.some((l) => l.startsWith("could not translate"))).toBe(true);
    expect((await m.status()).executed).toEqual(["0001-ok"]);
  });
});
