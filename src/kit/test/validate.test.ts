import * as z from "zod/mini";
import { validate } from "../src/http/validate";

describe("validate", () => {
  it("reports every problem with its path, in English", () => {
    expect(validate(z.strictObject({ a: z.string(), b: z.number() }), { a: 1, b: "x" })).toEqual({
      ok: false,
      issues: [
        { path: "a", message: "Invalid input: expected string, received number" },
        { path: "b", message: "Invalid input: expected number, received string" },
      ],
    });
  });

  it("changes nothing for other users of zod in the process: no global configuration on import", () => {
    // zod/mini without a locale says only this; a library that called z.config() would have changed it.
    expect(z.safeParse(z.string(), 1).error?.issues[0]?.message).toBe("Invalid input");
  });
});
