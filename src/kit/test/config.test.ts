import { ConfigError } from "../src/errors";
import { configFromEnv, isLocalEndpoint, LOCAL_REGION } from "../src/runtime/config";

describe("configFromEnv", () => {
  it("reads the table, region and optional endpoint", () => {
    expect(configFromEnv({ TABLE_NAME: "app-prod", AWS_REGION: "eu-west-1" })).toEqual({ tableName: "app-prod", region: "eu-west-1" });
    expect(configFromEnv({ TABLE_NAME: "app", AWS_DEFAULT_REGION: "us-west-2", DYNAMODB_ENDPOINT: "http://127.0.0.1:8000" })).toEqual({
      tableName: "app",
      region: "us-west-2",
      endpoint: "http://127.0.0.1:8000",
    });
  });

  it("needs no region for a local endpoint", () => {
    expect(configFromEnv({ TABLE_NAME: "app", DYNAMODB_ENDPOINT: "http://localhost:8000" }).region).toBe(LOCAL_REGION);
  });

  it("says which variable is missing and what to set", () => {
    expect(() => configFromEnv({ AWS_REGION: "eu-west-1" })).toThrow(ConfigError);
    expect(() => configFromEnv({ TABLE_NAME: "  ", AWS_REGION: "eu-west-1" })).toThrow("TABLE_NAME is not set");
    expect(() => configFromEnv({ TABLE_NAME: "app" })).toThrow("AWS_REGION is not set");
    expect(() => configFromEnv({ TABLE_NAME: "my table", AWS_REGION: "eu-west-1" })).toThrow('TABLE_NAME "my table" is not a valid DynamoDB table name');
    expect(() => configFromEnv({ TABLE_NAME: "ab", AWS_REGION: "eu-west-1" })).toThrow("3 to 255");
  });
});

describe("isLocalEndpoint", () => {
  it.each([
    ["http://127.0.0.1:8000", true],
    ["http://localhost:4566", true],
    ["http://[::1]:8000", true],
    ["https://dynamodb.eu-west-1.amazonaws.com", false],
    ["http://10.0.0.5:8000", false],
    ["not a url", false],
    [undefined, false],
  ])("%s is local: %s", (endpoint, expected) => {
    expect(isLocalEndpoint(endpoint)).toBe(expected);
  });
});
