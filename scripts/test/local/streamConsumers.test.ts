/**
 * The local deployment's stream consumers, on DynamoDB Local's own stream, with the fixture app (a ticket sold adds
 * one to its event's count): they keep what they derive, a record they cannot process goes to the failure
 * destination that make logs follows, and the records after it are processed all the same.
 */
import { existsSync, readFileSync } from "node:fs";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { walk, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { pollUntil } from "@dynamodb-starter/kit/ops";
import { LOCAL_REGION, createClient, createDocumentClient } from "@dynamodb-starter/kit/runtime";
import { isolatedLocalDeployment, type LocalDeployment } from "../../src/deployments";
import { deployLocal, destroyLocal, localLogFiles, localPaths } from "../../src/local/localDeployment";
import { requestAuthorization } from "../../src/local/localIssuer";
import { loadContract } from "../../src/project";
import { FIXTURE, FUNCTIONS } from "../support/functions";

const contract = loadContract(FIXTURE);
const consumer = FUNCTIONS.find((f) => f.kind === "stream")!;
let d: LocalDeployment;
beforeAll(async () => {
  d = await isolatedLocalDeployment("stream-consumers", FIXTURE);
});
afterAll(() => destroyLocal(d, () => {}));

async function send(url: string, request: SampleRequest): Promise<{ status: number; body: unknown }> {
  const authorization = (await requestAuthorization(localPaths(d).issuer, contract))(request);
  const body = request.body === undefined ? {} : { body: JSON.stringify(request.body) };
  const response = await fetch(`${url}${request.path}`, { method: request.method, headers: { ...authorization, "content-type": "application/json" }, ...body });
  return { status: response.status, body: await response.json() };
}

describe("the local deployment's stream consumers", () => {
  it("derive from the table's stream, and send a record they cannot process to the failure destination, then go on", async () => {
    const { url, endpoint } = await deployLocal(d, () => {}, FUNCTIONS);
    const documentClient = createDocumentClient(createClient({ region: LOCAL_REGION, endpoint }));
    const captured = await walk(
      contract.load.setup,
      (request) => send(url, request),
      () => {},
    );
    const buy: SampleRequest = { as: "fan", method: "POST", path: `/events/${captured.event}/tickets`, status: 201 };
    for (let i = 0; i < 3; i++) expect((await send(url, buy)).status).toBe(201);
    const sold = async (eventId: string) =>
      (await documentClient.send(new GetCommand({ TableName: d.tableName, Key: { pk: `EVENT#${eventId}`, sk: "EVENT" }, ConsistentRead: true }))).Item?.sold;
    const settle = (eventId: string, count: number) =>
      pollUntil(async () => ((await sold(eventId)) === count ? { done: true, value: undefined } : { done: false, status: `${await sold(eventId)} sold` }), {
        what: `the sold count of ${eventId}`,
        timeoutMs: 15_000,
        initialDelayMs: 100,
        maxDelayMs: 250,
      });
    await settle(captured.event!, 3);

    // An event whose count is not a number, written past the API: adding to it fails, for that one record.
    await documentClient.send(new PutCommand({ TableName: d.tableName, Item: { pk: "EVENT#poisoned", sk: "EVENT", sold: "many" } }));
    await documentClient.send(new PutCommand({ TableName: d.tableName, Item: { pk: "EVENT#poisoned", sk: "TICKET#1", holder: "x" } }));
    expect((await send(url, buy)).status).toBe(201);

    const failures = await pollUntil(
      async () => {
        const file = localPaths(d).failures(consumer.name);
        const text = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
        return text
          ? { done: true, value: text.split("\n").map((line) => JSON.parse(line) as { DDBStreamBatchInfo: { batchSize: number } }) }
          : { done: false, status: "none yet" };
      },
      { what: "the failure destination", timeoutMs: 15_000, initialDelayMs: 100, maxDelayMs: 250 },
    );
    expect(failures.map((f) => f.DDBStreamBatchInfo.batchSize)).toEqual([1]);
    expect(localLogFiles(d, FUNCTIONS)).toContain(localPaths(d).failures(consumer.name));
    await settle(captured.event!, 4);
  });
});
