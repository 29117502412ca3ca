/**
 * The cursor secret's sources. SSM Parameter Store has no local engine: its client is mocked at the client boundary
 * (SSMClient.prototype.send), and only here; the file and environment sources are real.
 */
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiHandler } from "../src/http/apiHandler";
import { decodeCursor, encodeCursor } from "../src/http/cursor";
import { cursorSecret, forgetCursorSecret, loadCursorSecret } from "../src/http/cursorSecret";
import { json } from "../src/http/response";
import { apiClient } from "../src/testing/apiClient";
import { captureTelemetry } from "../src/testing/telemetry";

const PARAMETER = "/dev-api/cursor-secret";
const saved = { ...process.env };
let send: jest.SpyInstance;
const stored = "a-secret-of-ssm-parameter-store";
let fail: Error | undefined;

beforeEach(() => {
  forgetCursorSecret();
  process.env = { ...saved, CURSOR_SECRET_PARAMETER: PARAMETER, AWS_REGION: "eu-west-1" };
  delete process.env.CURSOR_SECRET;
  fail = undefined;
  send = jest.spyOn(SSMClient.prototype, "send").mockImplementation((async (command: GetParameterCommand) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (fail) throw fail;
    expect(command).toBeInstanceOf(GetParameterCommand);
    return { Parameter: { Name: command.input.Name, Type: "SecureString", Value: stored } };
  }) as never);
});
afterEach(() => {
  send.mockRestore();
  process.env = saved;
  forgetCursorSecret();
});

describe("the cursor secret", () => {
  it("is read from the SecureString parameter, decrypted, once per container however many first requests race", async () => {
    await Promise.all([loadCursorSecret(), loadCursorSecret(), loadCursorSecret()]);
    await loadCursorSecret();
    expect(send).toHaveBeenCalledTimes(1);
    expect((send.mock.calls[0]![0] as GetParameterCommand).input).toEqual({ Name: PARAMETER, WithDecryption: true });
    expect(cursorSecret()).toBe(stored);
    const cursor = encodeCursor({ pk: "a", sk: "b" }, "list")!;
    expect(decodeCursor(cursor, "list")).toEqual({ pk: "a", sk: "b" });
  });

  it("says what failed, naming the parameter and not caching the failure: the next request reads it again", async () => {
    fail = Object.assign(new Error("User is not authorized to perform: ssm:GetParameter"), { name: "AccessDeniedException" });
    await expect(loadCursorSecret()).rejects.toThrow(`cannot read the cursor secret from the SSM parameter ${PARAMETER} (AccessDeniedException`);
    fail = undefined;
    await loadCursorSecret();
    expect(cursorSecret()).toBe(stored);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("is read by the HTTP handler before its first request, which a failed read answers 500 without the secret or its source", async () => {
    const logged = captureTelemetry();
    try {
      fail = Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
      const handler = createApiHandler({
        migrations: [],
        routes: { "GET /cursor": { public: true, handle: async () => json(200, { cursor: encodeCursor({ k: 1 }, "s") }) } },
      });
      const { api } = apiClient(handler);
      const first = await api("GET", "/cursor");
      expect(first.status).toBe(500);
      expect(JSON.stringify(first.body)).not.toContain(PARAMETER);
      expect(logged.raw.join("\n")).toContain(PARAMETER);
      fail = undefined;
      const second = await api("GET", "/cursor");
      expect(second.status).toBe(200);
      expect(decodeCursor(second.body.cursor, "s")).toEqual({ k: 1 });
      expect(logged.raw.join("\n")).not.toContain(stored);
    } finally {
      logged.stop();
    }
  });

  it("is read from the local deployment's file, and refused when too short; CURSOR_SECRET serves tests", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "cursor-")), "cursor-secret");
    process.env = { ...saved, CURSOR_SECRET_FILE: file };
    delete process.env.CURSOR_SECRET;
    writeFileSync(file, "short\n");
    await expect(loadCursorSecret()).rejects.toThrow("shorter than 16 characters");
    writeFileSync(file, "a-local-secret-of-this-deployment\n");
    await loadCursorSecret();
    expect(cursorSecret()).toBe("a-local-secret-of-this-deployment");
    expect(send).not.toHaveBeenCalled();

    forgetCursorSecret();
    process.env = { ...saved, CURSOR_SECRET: "a-secret-for-the-tests-only" };
    await loadCursorSecret();
    expect(cursorSecret()).toBe("a-secret-for-the-tests-only");
    delete process.env.CURSOR_SECRET;
    expect(() => cursorSecret()).toThrow("the cursor secret is not set");
  });
});
