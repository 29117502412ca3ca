/** A handler module's `config` is outside input: any log level is taken exactly as written or refused, saying which ones exist. */
import fc from "fast-check";
import { ConfigError, LOG_LEVELS, type FunctionConfig } from "@dynamodb-starter/kit/runtime";
import { kindOf } from "../src/functions";

const runs = Number(process.env.FUZZ_RUNS ?? 200);

describe("a function's config", () => {
  it("takes any of the log levels and refuses anything else with the list (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...LOG_LEVELS), fc.string(), fc.constantFrom("INFO", "Debug", "trace", "")), (logLevel) => {
        const config = { trigger: { http: true }, dynamodbActions: [], logLevel } as unknown as FunctionConfig;
        if ((LOG_LEVELS as string[]).includes(logLevel)) expect(kindOf("src/handlers/x.ts", config)).toBe("http");
        else {
          expect(() => kindOf("src/handlers/x.ts", config)).toThrow(ConfigError);
          expect(() => kindOf("src/handlers/x.ts", config)).toThrow(`is not one of ${LOG_LEVELS.join(", ")}`);
        }
      }),
      { numRuns: runs },
    );
  });
});
