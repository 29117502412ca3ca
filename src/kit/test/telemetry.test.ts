/**
 * What a function tells its operators: correlation ids from the request to the stream consumer, metric lines in
 * CloudWatch's embedded metric format, levels and the debug buffer, and what never reaches a log. Against DynamoDB
 * Local and its own stream; nothing is mocked.
 */
import { GetCommand, PutCommand, UpdateCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import Ajv2020 from "ajv/dist/2020";
import fc from "fast-check";
import { createApiHandler } from "../src/http/apiHandler";
import { createStreamHandler, type StreamChange } from "../src/stream/streamHandler";
import { createScheduledHandler } from "../src/schedule/scheduledHandler";
import { ensureTable } from "../src/table/ensureTable";
import { reconcileTable } from "../src/table/reconcileTable";
import { describeTable } from "../src/table/describeTable";
import { meterClient, CORRELATION_ATTRIBUTE } from "../src/runtime/requestMeter";
import { CORRELATION_HEADER, CORRELATION_ID_PATTERN, METRICS, invocation, log } from "../src/runtime/telemetry";
import { captureTelemetry, type CapturedTelemetry } from "../src/testing/telemetry";
import { apiClient } from "../src/testing/apiClient";
import { localStreamMapping } from "../src/testing/localStreamMapping";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "../src/testing/tables";
import { notesApi } from "./support/testApp";
import { EMF_SCHEMA } from "./support/emfSchema";

const admin = localClients();
const tableName = uniqueTableName("telemetry");
process.env.TABLE_NAME = tableName;
const own = localClients();
let capture: CapturedTelemetry;

beforeAll(async () => {
  await ensureTable({ client: admin.client, tableName });
  await reconcileTable({ client: admin.client, tableName, settings: { stream: "NEW_AND_OLD_IMAGES" }, apply: true });
});
beforeEach(() => {
  process.env.TELEMETRY = "on";
  capture = captureTelemetry();
});
afterEach(() => {
  capture.stop();
  delete process.env.TELEMETRY;
  delete process.env.LOG_LEVEL;
});
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
  own.client.destroy();
});

const handler = () => createApiHandler(notesApi(), { tableName, client: own.client, log: () => {} });
const stored = async (pk: string, sk: string) =>
  (await admin.documentClient.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;

/** Every EMF rule a JSON schema cannot say: each dimension a string member of the root, each metric a number. */
function emfTargetsPresent(line: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const directives = (line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
  for (const d of directives) {
    for (const name of d.Dimensions.flat()) if (typeof line[name] !== "string") problems.push(`dimension ${name} is not a string member`);
    for (const { Name } of d.Metrics) if (typeof line[Name] !== "number" || !Number.isFinite(line[Name])) problems.push(`metric ${Name} is not a number`);
  }
  return problems;
}

describe("correlation", () => {
  it("follows a request's id from its log line to the stream consumer's line for the change it made, and on to the consumer's own write", async () => {
    const { api } = apiClient(handler());
    const reply = await api("PUT", "/notes/traced-1", { body: { text: "hello" }, headers: { [CORRELATION_HEADER]: "checkout-42" } });
    expect(reply.status).toBe(200);
    expect(reply.headers[CORRELATION_HEADER]).toBe("checkout-42");
    expect(capture.ofType("request")).toEqual([expect.objectContaining({ correlationId: "checkout-42", Route: "PUT /notes/{id}", status: 200 })]);
    // The item carries the tag; a read through the kit's client never shows it.
    expect((await stored("NOTE#traced-1", "NOTE"))?.[CORRELATION_ATTRIBUTE]).toBe("checkout-42#1");
    expect((await api("GET", "/notes/traced-1")).body).toEqual({ id: "traced-1", text: "hello" });

    const changes: StreamChange[] = [];
    const consumer = createStreamHandler({
      migrations: [],
      consumer: "note-echo",
      writes(change, { tableName }) {
        changes.push(change);
        if (change.event !== "INSERT" || !String(change.keys.pk).startsWith("NOTE#")) return [];
        return [{ Put: { TableName: tableName, Item: { pk: `ECHO#${String(change.keys.pk)}`, sk: "ECHO" } } }];
      },
    });
    const streamArn = (await describeTable(admin.client, tableName))!.LatestStreamArn!;
    const failures: unknown[] = [];
    const mapping = localStreamMapping({
      endpoint: localEndpoint(),
      streamArn,
      batchSize: 10,
      maximumRetryAttempts: 0,
      handler: (event) => consumer(event),
      onFailure: (failure) => void failures.push(failure),
    });
    await mapping.drain();
    await mapping.stop();
    expect(failures).toEqual([]);

    const note = changes.find((c) => c.keys.pk === "NOTE#traced-1")!;
    expect(note.correlationId).toBe("checkout-42");
    expect(note.after).toEqual({ pk: "NOTE#traced-1", sk: "NOTE", text: "hello" }); // the tag is stripped from the images
    const records = capture.ofType("stream-record");
    expect(records).toContainEqual(expect.objectContaining({ correlationId: "checkout-42", event: "INSERT", outcome: "applied" }));
    // The consumer's write carries the same id, so the next consumer of that change finds it too.
    expect(String((await stored("ECHO#NOTE#traced-1", "ECHO"))?.[CORRELATION_ATTRIBUTE])).toMatch(/^checkout-42#\d+$/);
    const batch = capture.ofType("stream-batch").at(-1)!;
    expect(batch).toMatchObject({ Function: "note-echo", RecordFailures: 0 }); // no function name here: the consumer's
    expect(batch.Records).toBeGreaterThanOrEqual(1);
    expect(batch.IteratorAge).toBeGreaterThanOrEqual(0);
  });

  it("takes a caller's id only when well-formed (any other string: API Gateway's request id, and the string logged nowhere)", async () => {
    const { api } = apiClient(handler());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9._:-]{1,140}$/), fc.constantFrom("a\nb", "x".repeat(129), "", "ok id")),
        async (sent) => {
          capture.lines.length = 0;
          capture.raw.length = 0;
          const reply = await api("GET", "/hello", { headers: { [CORRELATION_HEADER]: sent } });
          const [line] = capture.ofType("request");
          expect(reply.headers[CORRELATION_HEADER]).toBe(line!.correlationId);
          if (CORRELATION_ID_PATTERN.test(sent)) {
            expect(line!.correlationId).toBe(sent);
            expect(line!.requestId).toEqual(expect.any(String)); // API Gateway's, beside the caller's
          } else {
            expect(line!.requestId).toBeUndefined(); // the correlation id is API Gateway's request id
            expect(line!.correlationId).not.toBe(sent);
            if (sent.length >= 4) expect(capture.raw.join("\n")).not.toContain(sent);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("tags every put and update a request makes, in both the DocumentClient's and the low-level client's shapes, and leaves the app's expression working", async () => {
    const { client, documentClient } = localClients();
    meterClient(client);
    try {
      await invocation("tagging", async () => {
        await client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: "T#low" }, sk: { S: "T" }, n: { N: "1" } } }));
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: "T#low" }, sk: { S: "T" } },
            UpdateExpression: "REMOVE n",
          }),
        );
        await documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: "T#doc", sk: "T" },
            UpdateExpression: "ADD n :one set m = :m",
            ExpressionAttributeValues: { ":one": 1, ":m": "x" },
          }),
        );
        await documentClient.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName, Item: { pk: "T#tx", sk: "T" } } }] }));
        // An attribute named "set" (a reserved word, so a placeholder): no SET clause, then one after another clause.
        await documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: "T#set", sk: "T" },
            UpdateExpression: "ADD #set :one",
            ExpressionAttributeNames: { "#set": "set" },
            ExpressionAttributeValues: { ":one": 1 },
          }),
        );
        await documentClient.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: "T#set", sk: "T" },
            UpdateExpression: "ADD #set :one SET #seen = :set",
            ExpressionAttributeNames: { "#set": "set", "#seen": "seen" },
            ExpressionAttributeValues: { ":one": 1, ":set": true },
          }),
        );
        await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: "T#doc2", sk: "T" } }));
      });
    } finally {
      client.destroy();
    }
    expect(await stored("T#low", "T")).toEqual({ pk: "T#low", sk: "T", [CORRELATION_ATTRIBUTE]: "tagging#2" });
    expect(await stored("T#doc", "T")).toEqual({ pk: "T#doc", sk: "T", n: 1, m: "x", [CORRELATION_ATTRIBUTE]: "tagging#3" });
    expect((await stored("T#tx", "T"))?.[CORRELATION_ATTRIBUTE]).toBe("tagging#4");
    expect((await stored("T#doc2", "T"))?.[CORRELATION_ATTRIBUTE]).toBe("tagging#7");
    expect(await stored("T#set", "T")).toEqual({ pk: "T#set", sk: "T", set: 2, seen: true, [CORRELATION_ATTRIBUTE]: "tagging#6" });
  });
});

describe("concurrent invocations in one process", () => {
  it("keep their own units, tags and lines through every await, however they interleave", async () => {
    const { client, documentClient } = localClients();
    meterClient(client);
    try {
      const one = (id: string, writes: number) =>
        invocation(id, async (inv) => {
          for (let i = 0; i < writes; i++) {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 5)); // let the others run between writes
            await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: `C#${id}#${i}`, sk: "C" } }));
            log.info("wrote", { i });
          }
          return inv;
        });
      const done = await Promise.all([one("a", 5), one("b", 3), one("c", 1)]);
      expect(done.map((inv) => [inv.correlationId, inv.requests, inv.writeUnits])).toEqual([
        ["a", 5, 5],
        ["b", 3, 3],
        ["c", 1, 1],
      ]);
      for (const [id, n] of [
        ["a", 5],
        ["b", 3],
        ["c", 1],
      ] as const) {
        for (let i = 0; i < n; i++) expect((await stored(`C#${id}#${i}`, "C"))?.[CORRELATION_ATTRIBUTE]).toBe(`${id}#${i + 1}`);
      }
      expect(capture.lines.map((l) => `${String(l.correlationId)}:${String(l.i)}`).sort()).toEqual([
        "a:0",
        "a:1",
        "a:2",
        "a:3",
        "a:4",
        "b:0",
        "b:1",
        "b:2",
        "c:0",
      ]);
    } finally {
      client.destroy();
    }
  });
});

describe("metrics", () => {
  it("writes lines that follow the embedded metric format, naming only the metrics the kit declares", async () => {
    const { api } = apiClient(handler());
    await api("PUT", "/notes/m-1", { body: { text: "a" } });
    await api("GET", "/notes/absent");
    await api("GET", "/nowhere");
    const job = createScheduledHandler({ migrations: [], run: async () => "done" });
    await job({}, { awsRequestId: "run-1", functionName: "nightly" });
    const failing = createScheduledHandler({ migrations: [], run: async () => Promise.reject(new Error("the report is wrong")) });
    await expect(failing({}, { awsRequestId: "run-2", functionName: "nightly" })).rejects.toThrow("the report is wrong");

    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const valid = ajv.compile(EMF_SCHEMA);
    const metricLines = capture.lines.filter((l) => "_aws" in l);
    expect(metricLines.map((l) => l.type)).toEqual(["request", "request", "request", "scheduled-run", "scheduled-run"]);
    for (const line of metricLines) {
      expect({ line: line.type, errors: valid(line) ? [] : ajv.errorsText(valid.errors) }).toEqual({ line: line.type, errors: [] });
      expect(emfTargetsPresent(line)).toEqual([]);
    }
    const declared = new Set<string>(Object.values(METRICS).flat());
    const named = metricLines.flatMap((l) =>
      (l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name)),
    );
    expect(named.filter((n) => !declared.has(n))).toEqual([]);
    expect(capture.ofType("scheduled-run").map((l) => [l.correlationId, l.RunSucceeded, l.RunFailed])).toEqual([
      ["run-1", 1, 0],
      ["run-2", 0, 1],
    ]);
  });

  it("is caught by the schema when a line breaks the format (the check can fail)", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const valid = ajv.compile(EMF_SCHEMA);
    const line = {
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: "N", Dimensions: [["Route"]], Metrics: [{ Name: "Latency", Unit: "ms" }] }] },
      Route: "x",
      Latency: 1,
    };
    expect(valid(line)).toBe(false);
    expect(emfTargetsPresent({ ...line, Latency: "1" })).toEqual(["metric Latency is not a number"]);
  });
});

describe("levels and what is never logged", () => {
  it("keeps debug lines below the configured level and writes them only when the invocation fails", async () => {
    await invocation("fine", async () => log.debug("looked at the cache"));
    expect(capture.lines).toEqual([]);
    await expect(
      invocation("broken", async () => {
        log.debug("looked at the cache");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(capture.lines).toEqual([expect.objectContaining({ level: "debug", correlationId: "broken", message: "looked at the cache" })]);

    process.env.LOG_LEVEL = "warn";
    log.info("routine");
    log.warn("unusual");
    process.env.LOG_LEVEL = "debug";
    await invocation("verbose", async () => log.debug("right away"));
    expect(capture.lines.slice(1).map((l) => l.message)).toEqual(["unusual", "right away"]);
  });

  it("never writes a request's body, its token or its cookies, whatever they hold (property)", async () => {
    const { api } = apiClient(handler());
    {
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9]{12,40}$/), fc.constantFrom("PUT", "GET", "DELETE"), async (secret, method) => {
          const token = `Bearer eyJ${secret}`;
          await api(method, `/notes/n-${secret.slice(0, 8).toLowerCase()}`, {
            ...(method === "PUT" ? { rawBody: JSON.stringify({ text: `body-${secret}` }) } : {}),
            headers: { authorization: token, cookie: `session=${secret}` },
          });
          expect(capture.raw.join("\n")).not.toContain(secret);
        }),
        { numRuns: 60 },
      );
      // Every request was answered and logged: the property looked at real lines.
      expect(capture.ofType("request").length).toBe(60);
      expect(capture.ofType("request").filter((l) => l.status === 200).length).toBeGreaterThan(5);
      expect(capture.ofType("request").filter((l) => Number(l.status) >= 500)).toEqual([]);
    }
  });
});
