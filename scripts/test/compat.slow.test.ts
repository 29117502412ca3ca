/**
 * `make test-compat` on the fixture app, in a scratch repository whose last commit is the previous release. This
 * revision renames the events' "open" status to "on-sale": the code and a migration that rewrites the stored
 * statuses. Declared an expand, the migration would run before the shift, and the previous release, still serving,
 * could no longer sell a ticket for an event it made: the check fails, naming the migration and the request. Declared
 * a contract, it runs after the shift, and the check passes.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localEndpoint } from "@dynamodb-starter/kit/testing";
import { runCompat } from "../src/compat/compat";
import { project } from "../src/project";
import { linkNodeModules, TEMPLATE_ROOT } from "./support/env";
import { FIXTURE } from "./support/functions";

const service = join(mkdtempSync(join(tmpdir(), "compat-")), "service");
const p = project(service);
const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], { cwd: service, encoding: "utf8" });
const edit = (path: string, change: (text: string) => string) => writeFileSync(join(service, path), change(readFileSync(join(service, path), "utf8")));

const MIGRATION = (kind: string) => `import type { Migration } from "@dynamodb-starter/kit/migrations";

/** Open events are now "on-sale". */
export const ticketsOnSale: Migration = {
  name: "0003-tickets-on-sale",
  kind: "${kind}",
  backfill: {
    filter: { FilterExpression: "sk = :event AND #s = :open", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":event": "EVENT", ":open": "open" } },
    transform: (item) => ({ ...item, status: "on-sale" }),
  },
  async down() {},
};
`;

beforeAll(() => {
  cpSync(FIXTURE.root, service, { recursive: true });
  cpSync(join(TEMPLATE_ROOT, "package.json"), join(service, "package.json"));
  writeFileSync(
    join(service, "tsconfig.json"),
    JSON.stringify({
      extends: "@dynamodb-starter/cli/presets/tsconfig.json",
      compilerOptions: { paths: { "@dynamodb-starter/kit/*": [join(TEMPLATE_ROOT, "src", "kit", "src", "*")] } },
      include: ["src"],
    }),
  );
  writeFileSync(join(service, ".gitignore"), "node_modules/\ndist/\n");
  linkNodeModules(service);
  git("init", "--quiet");
  git("add", "-A");
  git("commit", "--quiet", "-m", "The previous release");

  // This revision: "open" becomes "on-sale", in the code and, by a migration, in the table.
  writeFileSync(join(service, "src/app/migrations/0003-tickets-on-sale.ts"), MIGRATION("expand"));
  edit("src/app/migrations/index.ts", (t) =>
    t
      .replace(/(import .*\n)(?![\s\S]*import )/, `$1import { ticketsOnSale } from "./0003-tickets-on-sale";\n`)
      .replace(/eventsHaveAStatus(\s*,?\s*)\]/, "eventsHaveAStatus, ticketsOnSale]"),
  );
  edit("src/app/service.ts", (t) => t.replaceAll('":open": "open"', '":open": "on-sale"').replace('status: "open" }', 'status: "on-sale" }'));
  edit("src/app/closing.ts", (t) => t.replaceAll('":open": "open"', '":open": "on-sale"'));
}, 60_000);
afterAll(() => rmSync(join(service, ".."), { recursive: true, force: true }));
// Each case edits the app between runs: the CLI loads an app once per process, jest's registry keeps what it loaded.
beforeEach(() => jest.resetModules());

describe("make test-compat", () => {
  it("fails on a migration declared an expand that the previous release cannot live with, naming it and the request", async () => {
    expect(readFileSync(join(service, "src/app/migrations/index.ts"), "utf8")).toContain("ticketsOnSale]");
    const lines: string[] = [];
    const { failures } = await runCompat({ p, base: "HEAD", endpoint: localEndpoint(), log: (line) => lines.push(line) });
    expect(lines[0]).toMatch(
      /^test-compat against HEAD \([0-9a-f]{12}\): this revision adds 0003-tickets-on-sale; before the shift: 0003-tickets-on-sale; after it: none$/,
    );
    expect(failures).toEqual([
      expect.stringMatching(
        /^after 0003-tickets-on-sale \(an expand: it runs before the shift\), the previous release: POST \/events\/[0-9a-f-]+\/tickets answered 404, expected 201/,
      ),
    ]);
  }, 180_000);

  it("passes once the migration is declared a contract: it runs after the shift, and this revision works on the previous release's data", async () => {
    writeFileSync(join(service, "src/app/migrations/0003-tickets-on-sale.ts"), MIGRATION("contract"));
    const lines: string[] = [];
    const { failures } = await runCompat({ p, base: "HEAD", endpoint: localEndpoint(), log: (line) => lines.push(line) });
    expect(lines[0]).toMatch(/before the shift: none; after it: 0003-tickets-on-sale$/);
    expect(failures).toEqual([]);
  }, 180_000);

  it("refuses a base whose migrations this revision no longer lists in place", async () => {
    edit("src/app/migrations/index.ts", (t) => t.replace("eventsByVenue, eventsHaveAStatus", "eventsHaveAStatus, eventsByVenue"));
    await expect(runCompat({ p, base: "HEAD", endpoint: localEndpoint(), log: () => {} })).rejects.toThrow(
      'migration "0001-events-by-venue" of HEAD is not at position 1 of this revision\'s index: migrations are frozen history',
    );
  }, 180_000);
});
