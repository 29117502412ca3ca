/**
 * Releases of the local deployment, with a scratch copy of the fixture app changed between deploys. A broken release
 * (one route throws) deployed over a good one, under traffic, takes a share of the requests, answers 500, and is
 * rolled back: every request the good build answered was answered as the contract says, before, during and after,
 * and every acknowledged write is in the table. A good release with a new backfill shifts fully, then catches up;
 * `make rollback` goes back over an expand, and refuses to go back over a contract, naming it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { withCaptured, type AppContract, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { LOCAL_REGION, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { isolatedLocalDeployment, type LocalDeployment } from "../../src/deployments";
import { deployLocal, destroyLocal, localPaths, rollbackLocal } from "../../src/local/localDeployment";
import { requestAuthorization } from "../../src/local/localIssuer";
import { readRouting } from "../../src/local/localRelease";
import { releaseHistory } from "../../src/pipeline/releases";
import { loadContract } from "../../src/project";
import { scratchFixture } from "../support/functions";

const scratch = scratchFixture("local-release");
const { p } = scratch;
let d: LocalDeployment;
const file = (path: string) => join(p.root, path);
const edit = (path: string, change: (text: string) => string) => writeFileSync(file(path), change(readFileSync(file(path), "utf8")));
const original = readFileSync(file("src/app/index.ts"), "utf8");

/** A deploy with the app as it is on disk now (the CLI loads an app once per process; jest keeps what it loaded). */
async function deploy(lines: string[] = []) {
  jest.resetModules();
  return deployLocal(d, (line) => lines.push(line));
}

beforeAll(async () => {
  d = { ...(await isolatedLocalDeployment("local-release", p)), shift: { share: 0.5, seconds: 4 } };
  await deploy();
}, 120_000);
afterAll(async () => {
  await destroyLocal(d, () => {});
  scratch.remove();
});

interface Answer {
  release: string;
  request: SampleRequest;
  status: number;
  body: Record<string, unknown>;
}

/** Sends the walkthrough again and again until `stop()`, each request as its caller; every answer kept. */
async function traffic(contract: AppContract, stop: () => boolean, answers: Answer[]) {
  const url = `http://127.0.0.1:${d.apiPort}`;
  const authorization = await requestAuthorization(localPaths(d).issuer, contract);
  while (!stop()) {
    const captured: Record<string, string> = {};
    for (const sample of contract.walkthrough) {
      let request: SampleRequest;
      try {
        request = withCaptured(sample, captured);
      } catch {
        break; // an earlier request of this round failed to create what this one names
      }
      const response = await fetch(`${url}${request.path}`, {
        method: request.method,
        headers: { ...authorization(request), "content-type": "application/json" },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      answers.push({ release: response.headers.get("x-local-release") ?? "", request, status: response.status, body });
      for (const [name, path] of Object.entries(sample.capture ?? {})) if (typeof body[path] === "string") captured[name] = body[path] as string;
    }
  }
}

const table = () => createDocumentClient(createClient({ region: LOCAL_REGION, endpoint: `http://127.0.0.1:${d.dynamoPort}` }));

describe("the local deployment's releases", () => {
  it("roll a broken release back under traffic: the good build answers every request right throughout, and no acknowledged write is lost", async () => {
    const contract = loadContract(p);
    const [good] = readRouting(d);
    // This release's one public read throws.
    edit("src/app/index.ts", (t) =>
      t.replace(
        /handle: async \(\{ params, read \}\) => \(\{ status: 200, body: await read\(\(c\) => tickets\(c\)\.event\(params\.eventId\)\) \}\),/,
        'handle: async () => { throw new Error("this release is broken"); },',
      ),
    );
    expect(readFileSync(file("src/app/index.ts"), "utf8")).toContain("this release is broken");

    const answers: Answer[] = [];
    let rolledBackAt = Infinity;
    // Until 20 answers after the rollback (or a minute): however busy the machine, some come after it.
    const deadline = Date.now() + 120_000;
    const load = traffic(contract, () => answers.length >= rolledBackAt + 20 || Date.now() > deadline, answers);
    const lines: string[] = [];
    await expect(deploy(lines)).rejects.toThrow(/answered 500 to GET \/events\/[\w-]+ .*: rolled back, release \w+ serves every request again/);
    rolledBackAt = answers.length;
    await load;

    // An answer names the build that gave it; the edge's own refusals (a missing scope) name none.
    const fromNew = answers.filter((a) => a.release !== good!.id && a.release !== "");
    const fromGood = answers.filter((a) => a.release === good!.id || a.release === "");
    expect(fromNew.some((a) => a.status === 500 && a.request.path.startsWith("/events/"))).toBe(true);
    expect(fromGood.filter((a) => a.status !== a.request.status).map((a) => `${a.request.method} ${a.request.path}: ${a.status}`)).toEqual([]);
    // Once rolled back, every request is the good build's again.
    const after = answers.slice(rolledBackAt + 5);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((a) => a.release !== good!.id && a.release !== "")).toEqual([]);
    expect(readRouting(d)).toEqual([{ ...good, weight: 1 }]);
    expect(lines.some((l) => l.startsWith("  local shift: 50% of the API's requests on release"))).toBe(true);

    // Every acknowledged create, whichever build acknowledged it, is in the table.
    const db = table();
    const created = answers.filter((a) => a.status === 201 && typeof a.body.id === "string");
    expect(created.length).toBeGreaterThan(5);
    for (const { request, body } of created) {
      const key =
        request.path === "/venues"
          ? { pk: `VENUE#${body.id}`, sk: "VENUE" }
          : request.path.endsWith("/tickets")
            ? { pk: `EVENT#${body.eventId}`, sk: `TICKET#${body.id}` }
            : { pk: `EVENT#${body.id}`, sk: "EVENT" };
      expect({ key, stored: (await db.send(new GetCommand({ TableName: d.tableName, Key: key, ConsistentRead: true }))).Item !== undefined }).toEqual({
        key,
        stored: true,
      });
    }
    // The rolled-back release is not on record.
    expect((await releaseHistory(db, d.tableName)).map((r) => r.seq)).toEqual([1]);
  }, 180_000);

  it("shift a good release fully before its catch-up, roll back over an expand, and refuse to roll back over a contract", async () => {
    writeFileSync(file("src/app/index.ts"), original);
    writeFileSync(
      file("src/app/migrations/0003-events-have-a-capacity.ts"),
      `import type { Migration } from "@dynamodb-starter/kit/migrations";

export const eventsHaveACapacity: Migration = {
  name: "0003-events-have-a-capacity",
  backfill: {
    filter: { FilterExpression: "sk = :event AND attribute_not_exists(#c)", ExpressionAttributeNames: { "#c": "capacity" }, ExpressionAttributeValues: { ":event": "EVENT" } },
    transform: (item) => ({ ...item, capacity: 100 }),
  },
  async down() {},
};
`,
    );
    edit("src/app/migrations/index.ts", (t) =>
      t
        .replace(
          'import { eventsHaveAStatus } from "./0002-events-have-a-status";',
          'import { eventsHaveAStatus } from "./0002-events-have-a-status";\nimport { eventsHaveACapacity } from "./0003-events-have-a-capacity";',
        )
        .replace("eventsHaveAStatus]", "eventsHaveAStatus, eventsHaveACapacity]"),
    );
    const [before] = readRouting(d);
    const lines: string[] = [];
    await deploy(lines);
    const shifted = lines.findIndex((l) => /^ {2}local shift: all requests on release \w+$/.test(l));
    const caughtUp = lines.findIndex((l) => l.trim().startsWith("catch-up of 0003-events-have-a-capacity: scanned"));
    expect(shifted).toBeGreaterThan(0);
    expect(caughtUp).toBeGreaterThan(shifted);
    expect(readRouting(d)[0]!.id).not.toBe(before!.id);

    // Back over an expand: allowed, and it says what stays.
    const rollback: string[] = [];
    jest.resetModules();
    await rollbackLocal(d, (line) => rollback.push(line));
    expect(rollback.at(-1)).toBe("rolled back. These expand migrations stay applied (the older release ignores what they add): 0003-events-have-a-capacity");
    expect(readRouting(d)).toEqual([{ ...before, weight: 1 }]);

    // Forward again with a contract; back over it: refused, naming it, nothing changed.
    writeFileSync(
      file("src/app/migrations/0004-capacity-dropped.ts"),
      `import type { Migration } from "@dynamodb-starter/kit/migrations";

export const capacityDropped: Migration = {
  name: "0004-capacity-dropped",
  kind: "contract",
  backfill: {
    filter: { FilterExpression: "sk = :event AND attribute_exists(#c)", ExpressionAttributeNames: { "#c": "capacity" }, ExpressionAttributeValues: { ":event": "EVENT" } },
    transform: ({ capacity: _, ...item }) => item,
  },
  async down() {},
};
`,
    );
    edit("src/app/migrations/index.ts", (t) =>
      t
        .replace(
          'import { eventsHaveACapacity } from "./0003-events-have-a-capacity";',
          'import { eventsHaveACapacity } from "./0003-events-have-a-capacity";\nimport { capacityDropped } from "./0004-capacity-dropped";',
        )
        .replace("eventsHaveACapacity]", "eventsHaveACapacity, capacityDropped]"),
    );
    await deploy();
    const routed = readRouting(d);
    jest.resetModules();
    await expect(rollbackLocal(d, () => {})).rejects.toThrow(/cannot roll back to release \d+ .*: 0004-capacity-dropped is a contract, run since that release/);
    expect(readRouting(d)).toEqual(routed);
  }, 240_000);
});
