import fc from "fast-check";
import { ensureTable } from "@dynamodb-starter/kit/ops";
import { localClients, deleteTable, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { api } from "./handlerClient";

// Seeded and reproducible; `make fuzz` raises the run count (FUZZ_RUNS) and can replay a seed (FUZZ_SEED).
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);

const admin = localClients();
const tableName = uniqueTableName("event-data-fuzz");
process.env.TABLE_NAME = tableName;
const user = "/users/fuzz@example.com";

beforeAll(async () => {
  await ensureTable({ client: admin.client, tableName });
  expect((await api("POST", "/users", { body: { email: "fuzz@example.com", name: "Fuzz" } })).status).toBe(201);
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** Each event at its own time, so that a range query finds exactly it. */
let clock = Date.UTC(2026, 0, 1);
const nextTime = () => new Date((clock += 1_000)).toISOString();

/**
 * Sends `text` as an event's body at a fresh time. Either it is acknowledged (201) and reading the event back
 * gives exactly what the client meant (JSON.parse of the text), or it is refused (400, the offending path
 * named under `data`) and nothing was stored. Returns the status, for hand-picked expectations.
 */
async function roundTrip(dataText: string): Promise<number> {
  const at = nextTime();
  const text = `{"type":"fuzz","at":"${at}","data":${dataText}}`;
  const meant = (JSON.parse(text) as { data: unknown }).data;
  const reply = await api("POST", `${user}/events`, { rawBody: text });
  const stored = await api("GET", `${user}/events`, { query: { from: at, to: at } });
  expect(stored.status).toBe(200);
  if (reply.status === 201) {
    expect(reply.body.data).toEqual(meant);
    expect(stored.body.items).toHaveLength(1);
    expect(stored.body.items[0].data).toEqual(meant);
    // toEqual does not see own "__proto__" keys or key order; the JSON text does.
    expect(JSON.stringify(stored.body.items[0].data)).toBe(JSON.stringify(meant));
  } else {
    expect(reply).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
    expect(reply.body.error.details.some((d: { path: string }) => d.path === "data" || d.path.startsWith("data."))).toBe(true);
    expect(stored.body.items).toEqual([]);
  }
  return reply.status;
}

const nest = (depth: number, leaf: string) => `${'{"a":'.repeat(depth)}${leaf}${"}".repeat(depth)}`;

describe("event data: every JSON value is stored exactly, or refused with 400 naming its path", () => {
  it.each([
    ["an object with a constructor key that names String", '{"o":{"constructor":{"name":"String"},"secret":1}}', 201],
    ["an object with a constructor key that names Boolean", '{"o":{"constructor":{"name":"Boolean"}}}', 201],
    ["a constructor key that is not an object", '{"constructor":1,"toString":"x","valueOf":[]}', 201],
    ["a __proto__ key", '{"__proto__":{"polluted":true},"x":1}', 201],
    ["an empty key", '{"":"x"}', 201],
    ["40 levels of nesting, beyond the limit of 32", nest(40, "1"), 400],
    ["10,000 levels of nesting", nest(10_000, "1"), 400],
    ["32 levels of nesting, the limit", nest(31, "1"), 201],
    ["1e400, beyond the double range", '{"n":1e400}', 400],
    ["an integer above 2^53, whose digits a double cannot hold", '{"n":9007199254740993}', 400],
    ["the largest safe integer", '{"n":9007199254740991}', 201],
    ["1e-200, below DynamoDB's number range but kept as text", '{"n":1e-200}', 201],
    ["negative zero", '{"n":-0}', 400],
    ["lone surrogates and astral characters", '{"s":"\\ud800 \\udfff 😀 \\u0000"}', 201],
  ])("%s", async (_what, dataText, status) => {
    expect(await roundTrip(dataText)).toBe(status);
  });

  it(
    `holds for ${RUNS} generated values (seed ${SEED}): keys such as constructor and __proto__, deep nesting, extreme numbers, all of Unicode`,
    async () => {
      const key = fc.oneof(
        fc.constantFrom("constructor", "__proto__", "prototype", "toString", "valueOf", "hasOwnProperty", "", "0"),
        fc.string({ unit: "binary", maxLength: 6 }),
      );
      const number = fc.oneof(
        fc.double(),
        fc.integer(),
        fc.constantFrom(-0, 1e-200, 1e-130, 9.99e125, 1e126, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1e21, 0.1),
      );
      const { value } = fc.letrec((tie) => ({
        value: fc.oneof(
          { depthSize: "small" },
          fc.constant(null),
          fc.boolean(),
          number,
          fc.string({ unit: "binary", maxLength: 40 }),
          fc.array(tie("value"), { maxLength: 4 }),
          fc.dictionary(key, tie("value"), { maxKeys: 4 }),
        ),
      }));
      const deep = fc.tuple(fc.integer({ min: 1, max: 60 }), value).map(([depth, leaf]) => nest(depth, JSON.stringify(leaf)));
      const data = fc.oneof(
        fc.dictionary(key, value, { maxKeys: 6 }).map((d) => JSON.stringify(d)),
        deep,
      );
      await fc.assert(
        fc.asyncProperty(data, async (dataText) => {
          await roundTrip(dataText);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    },
    Math.max(300_000, RUNS * 100),
  );
});
