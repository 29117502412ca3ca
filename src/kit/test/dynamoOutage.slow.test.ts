import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startLocalDynamo, type LocalDynamo } from "@dynamodb-starter/cli/testing";
import { ensureTable } from "../src/table/ensureTable";
import type * as Notes from "./support/testApp";
import { localClients } from "../src/testing/tables";
import type * as Telemetry from "../src/testing/telemetry";

// A DynamoDB Local of this file's own, on a fixed port with data on disk, so it can be stopped and restarted.
const dataDir = mkdtempSync(join(tmpdir(), "outage-"));
let dynamo: LocalDynamo;
let port: number;
const tableName = "outage-table";

beforeAll(async () => {
  port = await freePort();
  dynamo = await startLocalDynamo({ port, dataDir });
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  process.env.TABLE_NAME = tableName;
  const { client } = localClients(dynamo.endpoint);
  await ensureTable({ client, tableName });
  client.destroy();
});
afterAll(async () => {
  await dynamo.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh copy of the handler and everything it caches (a new cold start), and what catches its log lines. */
function coldStart(): typeof Notes & typeof Telemetry {
  let fresh: (typeof Notes & typeof Telemetry) | undefined;
  jest.isolateModules(() => {
    fresh = { ...(require("./support/testApp") as typeof Notes), ...(require("../src/testing/telemetry") as typeof Telemetry) };
  });
  return fresh!;
}

describe("DynamoDB Local stopped while the service runs", () => {
  it("answers 503 while it is down, then works again after a restart, without restarting the service", async () => {
    const { api, captureTelemetry } = coldStart();
    expect((await api("PUT", "/notes/kept", { body: { text: "Kept" } })).status).toBe(200);

    await dynamo.stop();
    const logged = captureTelemetry();
    for (const [method, path, body] of [
      ["GET", "/notes/kept"],
      ["PUT", "/notes/lost", { text: "Lost SECRET-BODY-MARKER" }],
    ] as const) {
      const reply = await api(method, path, body ? { body } : {});
      expect(reply).toMatchObject({ status: 503, body: { error: { code: "unavailable", message: expect.stringContaining("retry") } } });
      expect(reply.headers["retry-after"]).toBe("1");
    }
    // The failures are logged with their correlation id, and never with the request body.
    expect(logged.lines.filter((l) => l.level === "warn")).toHaveLength(2);
    expect(logged.raw.join("\n")).not.toContain("SECRET-BODY-MARKER");
    logged.stop();

    dynamo = await startLocalDynamo({ port, dataDir });
    expect(await api("GET", "/notes/kept")).toMatchObject({ status: 200, body: { text: "Kept" } });
    expect((await api("GET", "/notes/lost")).status).toBe(404); // the refused write wrote nothing
  });

  it("does not cache a cold start that failed: the next request after the restart succeeds", async () => {
    await dynamo.stop();
    const { api } = coldStart();
    expect((await api("GET", "/health")).status).toBe(503);

    dynamo = await startLocalDynamo({ port, dataDir });
    expect(await api("GET", "/health")).toMatchObject({ status: 200, body: { status: "ok" } });
  });
});
