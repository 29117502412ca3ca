import { UpdateCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { createApiHandler } from "../src/http/apiHandler";
import { json } from "../src/http/response";
import { redactedMessage } from "../src/errorLog";
import { ensureTable } from "../src/table/ensureTable";
import { apiClient } from "../src/testing/apiClient";
import { captureTelemetry } from "../src/testing/telemetry";
import { deleteTable, localClients, uniqueTableName } from "../src/testing/tables";

const admin = localClients();
const tableName = uniqueTableName("error-log");
afterAll(async () => {
  await deleteTable(admin.client, tableName);
  admin.client.destroy();
});

/** What the handler logged for one failed request, as JSON. */
async function loggedFor(handle: Parameters<typeof createApiHandler>[0]["routes"][string]): Promise<Record<string, unknown>> {
  const logged = captureTelemetry();
  try {
    const handler = createApiHandler({ migrations: [], routes: { "POST /x": handle } }, { tableName, client: admin.client });
    const reply = await apiClient(handler).api("POST", "/x");
    expect(reply.status).toBe(500);
    expect(JSON.stringify(reply.body)).not.toMatch(/reserved|ada@example\.com/); // the caller learns nothing of it
    const { timestamp: _at, correlationId: _id, ...line } = logged.lines.filter((l) => l.level === "error").at(-1)!;
    return line;
  } finally {
    logged.stop();
  }
}

describe("what a failed request logs of its error", () => {
  beforeAll(() => ensureTable({ client: admin.client, tableName }));

  it("DynamoDB's refusal of a reserved word, with its message: the first mistake everyone makes is not a silent 500", async () => {
    const line = await loggedFor(async ({ db }) => {
      const { documentClient } = await db();
      await documentClient.send(
        new UpdateCommand({ TableName: tableName, Key: { pk: "a", sk: "b" }, UpdateExpression: "SET name = :n", ExpressionAttributeValues: { ":n": "Ada" } }),
      );
      return json(200, {});
    });
    expect(line).toMatchObject({ level: "error", route: "POST /x", error: "ValidationException", httpStatus: 400 });
    expect(line.message).toMatch(/reserved keyword: name/);
  });

  it("DynamoDB's message with what it quotes blanked: a value pasted into an expression never reaches the log", async () => {
    const line = await loggedFor(async ({ db }) => {
      const { documentClient } = await db();
      await documentClient.send(new ScanCommand({ TableName: tableName, FilterExpression: "email = ada@example.com" }));
      return json(200, {});
    });
    expect(line).toMatchObject({ error: "ValidationException" });
    expect(String(line.message)).toMatch(/^Invalid FilterExpression/);
    expect(JSON.stringify(line)).not.toContain("ada@example.com");
  });

  it("any other error by its class alone: the app's and the runtime's messages may repeat what was sent", async () => {
    const line = await loggedFor(async () => {
      throw new TypeError("cannot read ada@example.com's profile");
    });
    expect(line).toEqual({ level: "error", message: "request failed", route: "POST /x", error: "TypeError" });
  });

  it("never lets an email or a quoted fragment through the redaction, whatever the message (property)", () => {
    // Plain words have no digit and no "@"; every value has a digit, so a value found after redaction was not redacted.
    const word = fc.stringMatching(/^[A-Za-z :;,.()]{0,12}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9 ._-]{2,18}[0-9]$/);
    const email = fc.tuple(fc.stringMatching(/^[a-z0-9._-]{0,11}[0-9]$/), fc.stringMatching(/^[a-z0-9-]{1,10}\.[a-z]{2,4}$/)).map(([l, d]) => `${l}@${d}`);
    const part = fc.oneof(
      word.map((text) => ({ text, secret: undefined })),
      email.map((text) => ({ text, secret: text })),
      value.map((v) => ({ text: `"${v}"`, secret: v })),
      value.map((v) => ({ text: `'${v}'`, secret: v })),
    );
    fc.assert(
      fc.property(fc.array(part), (parts) => {
        const redacted = redactedMessage(parts.map((p) => p.text).join(" "));
        for (const { secret } of parts) if (secret) expect(redacted).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});
