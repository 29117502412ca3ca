/**
 * The deploy's cursor secret. SSM Parameter Store has no local engine: the client is mocked at its boundary
 * (send), and only here.
 */
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { cursorSecretParameter, ensureCursorSecret } from "../src/aws/secretParameter";

describe("the cursor secret of an AWS deployment (scripts/src/aws/secretParameter.ts)", () => {
  const ssm = new SSMClient({ region: "eu-west-1" });
  afterAll(() => ssm.destroy());

  it("is created once, random, as a SecureString the deploy never overwrites, and never printed", async () => {
    const existing = new Set<string>();
    const sent: PutParameterCommand["input"][] = [];
    const send = jest.spyOn(ssm, "send").mockImplementation((async (command: PutParameterCommand) => {
      sent.push(command.input);
      if (existing.has(command.input.Name!)) throw Object.assign(new Error("The parameter already exists."), { name: "ParameterAlreadyExists" });
      existing.add(command.input.Name!);
      return {};
    }) as never);
    try {
      const lines: string[] = [];
      const name = cursorSecretParameter("prod-api");
      expect(name).toBe("/prod-api/cursor-secret");
      expect(await ensureCursorSecret(ssm, name, (l) => lines.push(l))).toBe("created");
      expect(await ensureCursorSecret(ssm, name, (l) => lines.push(l))).toBe("kept");
      expect(sent.map(({ Name, Type, Overwrite }) => ({ Name, Type, Overwrite }))).toEqual([
        { Name: name, Type: "SecureString", Overwrite: false },
        { Name: name, Type: "SecureString", Overwrite: false },
      ]);
      expect(sent[0]!.Value).toMatch(/^[\w-]{43}$/);
      expect(sent[0]!.Value).not.toBe(sent[1]!.Value);
      expect(lines).toEqual([`cursor secret: created ${name} (SecureString)`, `cursor secret: ${name} exists; kept`]);
      expect(lines.join()).not.toContain(sent[0]!.Value!);
    } finally {
      send.mockRestore();
    }
  });

  it("fails the deploy on any other refusal, before Terraform runs", async () => {
    const send = jest.spyOn(ssm, "send").mockRejectedValue(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }) as never);
    try {
      await expect(ensureCursorSecret(ssm, "/dev-api/cursor-secret", () => {})).rejects.toThrow("not authorized");
    } finally {
      send.mockRestore();
    }
  });
});
