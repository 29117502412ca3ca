import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { loadAwsDeployments, loadDeployment, localDeployment, type AwsDeployment } from "../src/deployments";
import { writeVars } from "./support/functions";
import { ConfigError } from "@dynamodb-starter/kit/runtime";

const dir = mkdtempSync(join(tmpdir(), "deployments-"));
function file(content: unknown): string {
  const path = join(dir, `${Math.random()}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}
const auth = { issuer: "https://issuer.example.com/", audiences: ["api"] };
const valid = { region: "eu-west-1", tableName: "app-dev", state: { bucket: "tf-state", key: "app/dev.tfstate" }, auth };

describe("deployments", () => {
  it("loads the shipped infra/deployments.json, whose examples are valid", () => {
    const all = loadAwsDeployments();
    expect([...all.keys()]).toEqual(["dev", "prod"]);
    expect(all.get("prod")).toMatchObject({ kind: "aws", table: { deletionProtection: true, pointInTimeRecovery: true } });
  });

  it("fills defaults: state region from the deployment, Lambda sizing and concurrency, API throttling without CORS, tags on the table, no tracing, default alarms", () => {
    const d = loadDeployment("dev", { file: file({ deployments: { dev: { ...valid, tags: { team: "core" } } } }) });
    expect(d).toEqual({
      kind: "aws",
      name: "dev",
      region: "eu-west-1",
      tableName: "app-dev",
      state: { bucket: "tf-state", key: "app/dev.tfstate", region: "eu-west-1" },
      tags: { team: "core" },
      table: { tags: { team: "core" } },
      lambda: { memoryMb: 256, timeoutSeconds: 10, logRetentionDays: 30, reservedConcurrency: 20 },
      api: { throttlingBurst: 100, throttlingRate: 50, corsOrigins: [] },
      auth: { ...auth, createUserPool: false },
      alarms: {},
      release: { shift: "AllAtOnce" },
      backfills: { distributedAboveItems: 5_000_000 },
      tracing: false,
      planFromPullRequests: false,
      github: { deployBranches: ["main"], requireReviewers: false },
    });
  });

  it("takes any backfill setting exactly as written or refuses it with a ConfigError (property)", () => {
    const items = fc.oneof(fc.integer({ min: -3, max: 2e12 }), fc.double(), fc.string(), fc.boolean(), fc.constant(null));
    const backfills = fc.oneof(
      fc.constant(undefined),
      fc.record({ distributedAboveItems: items }, { requiredKeys: [] }),
      fc.dictionary(fc.string(), items),
      fc.anything(),
    );
    let taken = 0;
    fc.assert(
      fc.property(backfills, (setting) => {
        let d: AwsDeployment;
        try {
          d = loadDeployment("dev", {
            file: file({ deployments: { dev: { ...valid, ...(setting === undefined ? {} : { backfills: setting }) } } }),
          }) as AwsDeployment;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        taken++;
        const sent = JSON.parse(JSON.stringify(setting ?? {})) as { distributedAboveItems?: number }; // what the file holds
        expect(d.backfills.distributedAboveItems).toBe(sent.distributedAboveItems ?? 5_000_000);
        expect(Number.isInteger(d.backfills.distributedAboveItems) && d.backfills.distributedAboveItems >= 0 && d.backfills.distributedAboveItems <= 1e12).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
    expect(taken).toBeGreaterThan(30);
  });

  it("takes a backfill threshold per deployment, a whole number of items, and refuses anything else", () => {
    const at = (backfills: unknown) => () => loadDeployment("dev", { file: file({ deployments: { dev: { ...valid, backfills } } }) });
    expect(at({ distributedAboveItems: 0 })()).toMatchObject({ backfills: { distributedAboveItems: 0 } });
    expect(at({ distributedAboveItems: 250_000 })()).toMatchObject({ backfills: { distributedAboveItems: 250_000 } });
    expect(at({ distributedAboveItems: 1.5 })).toThrow(/at deployments\.dev\.backfills\.distributedAboveItems/);
    expect(at({ distributedAboveItems: -1 })).toThrow(/at deployments\.dev\.backfills\.distributedAboveItems/);
    expect(at({ distributedAbove: 5 })).toThrow(/Unrecognized key: "distributedAbove"/);
  });

  it("refuses alarm settings that cannot work, naming each", () => {
    const bad = file({ deployments: { dev: { ...valid, alarms: { email: "oncall", api5xxRate: 5, lambdaErrors: 0 }, tracing: "yes" } } });
    expect(() => loadDeployment("dev", { file: bad })).toThrow(/an email address\n\s+→ at deployments\.dev\.alarms\.email/);
    expect(() => loadDeployment("dev", { file: bad })).toThrow(/expected number to be <=1\n\s+→ at deployments\.dev\.alarms\.api5xxRate/);
    expect(() => loadDeployment("dev", { file: bad })).toThrow(/expected number to be >=1\n\s+→ at deployments\.dev\.alarms\.lambdaErrors/);
    expect(() => loadDeployment("dev", { file: bad })).toThrow(/expected boolean, received string\n\s+→ at deployments\.dev\.tracing/);
  });

  it("lists the known deployments when asked for an unknown one", () => {
    expect(() => loadDeployment("staging", { file: file({ deployments: { dev: valid, prod: valid } }) })).toThrow(
      'unknown deployment "staging". Known deployments: local, dev, prod',
    );
  });

  it("reports every problem of an invalid file at once, typos included", () => {
    const bad = file({
      deployments: {
        dev: { ...valid, region: "Europe", tabelName: "x", lambda: { memoryMb: 64 } },
        Prod: valid,
      },
    });
    let message = "";
    try {
      loadAwsDeployments(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain("an AWS region such as eu-west-1");
    expect(message).toContain('Unrecognized key: "tabelName"');
    expect(message).toMatch(/memoryMb/);
    expect(message).toContain("lowercase letters, digits and dashes");
  });

  it("refuses a file deployment named local, and unreadable JSON", () => {
    expect(() => loadAwsDeployments(file({ deployments: { local: valid } }))).toThrow('"local" is built in');
    expect(() => loadAwsDeployments(file("{ not json"))).toThrow("cannot read");
  });

  it("builds local from defaults and environment, rejecting a bad port", () => {
    expect(localDeployment({})).toMatchObject({ kind: "local", tableName: "app-local", apiPort: 3000, dynamoPort: 8000 });
    expect(localDeployment({ LOCAL_API_PORT: "3100", LOCAL_STATE_DIR: "/tmp/x" })).toMatchObject({ apiPort: 3100, stateDir: "/tmp/x" });
    expect(() => localDeployment({ LOCAL_DYNAMODB_PORT: "eighty" })).toThrow('LOCAL_DYNAMODB_PORT="eighty" is not a port number');
  });

  it("takes any alarms and tracing settings exactly into Terraform's variables, or refuses them (property)", () => {
    const value = fc.oneof(fc.double(), fc.integer({ min: -5, max: 2_000_000 }), fc.string(), fc.boolean(), fc.constant(null), fc.emailAddress());
    // Mostly values each setting accepts, sometimes anything at all, now and then a misspelt key.
    const count = fc.integer({ min: 1, max: 1_000_000 });
    const share = fc.double({ min: 0, max: 1, minExcluded: true, noNaN: true });
    const accepted = { email: fc.emailAddress(), lambdaErrors: count, durationRatio: share, api5xxRate: share, api4xxRate: share, dynamodbThrottles: count };
    const settingsOf = fc.record(
      Object.fromEntries(Object.entries(accepted).map(([key, good]) => [key, fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: value, weight: 1 })])),
      { requiredKeys: [] },
    );
    const alarms = fc
      .tuple(settingsOf, fc.oneof({ arbitrary: fc.constant(null), weight: 9 }, { arbitrary: value, weight: 1 }))
      .map(([settings, typo]) => (typo === null ? settings : { ...settings, lambdaError: typo }));
    fc.assert(
      fc.property(alarms, fc.oneof({ arbitrary: fc.boolean(), weight: 4 }, { arbitrary: value, weight: 1 }), (settings, tracing) => {
        let d: AwsDeployment;
        try {
          d = loadDeployment("dev", { file: file({ deployments: { dev: { ...valid, alarms: settings, tracing } } }) }) as AwsDeployment;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        expect(d.alarms).toEqual(settings);
        expect(d.tracing).toBe(tracing);
        const vars = JSON.parse(readFileSync(writeVars(d, dir), "utf8")) as Record<string, unknown>;
        const { email, lambdaErrors, durationRatio, api5xxRate, api4xxRate, dynamodbThrottles } = settings as Record<string, unknown>;
        expect(vars.alarm_email).toBe(email ?? "");
        expect(vars.tracing).toBe(tracing);
        const thresholds = {
          lambda_errors: lambdaErrors,
          duration_ratio: durationRatio,
          api_5xx_rate: api5xxRate,
          api_4xx_rate: api4xxRate,
          dynamodb_throttles: dynamodbThrottles,
        };
        expect(vars.alarm_thresholds).toEqual(Object.fromEntries(Object.entries(thresholds).filter(([, v]) => v !== undefined)));
      }),
      { numRuns: 300 },
    );
  });

  it("takes any API limits, CORS origins and reserved concurrency exactly into the deployment and Terraform's variables, or refuses them (property)", () => {
    const value = fc.oneof(fc.double(), fc.integer({ min: -5, max: 200_000 }), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.string()));
    const origin = fc.oneof(
      fc.webAuthority().map((a) => `https://${a}`),
      fc.webUrl(),
      fc.string(),
      fc.constantFrom("*", "https://*.example.com", "http://localhost:3000", "https://a.example.com/"),
    );
    const accepted = {
      throttlingBurst: fc.integer({ min: 1, max: 100_000 }),
      throttlingRate: fc.integer({ min: 1, max: 100_000 }),
      corsOrigins: fc.array(origin, { maxLength: 3 }),
    };
    const api = fc.record(
      Object.fromEntries(Object.entries(accepted).map(([key, good]) => [key, fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: value, weight: 1 })])),
      { requiredKeys: [] },
    );
    const concurrency = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 100_000 }), weight: 9 }, { arbitrary: value, weight: 1 });
    let taken = 0;
    fc.assert(
      fc.property(api, concurrency, (settings, reservedConcurrency) => {
        let d: AwsDeployment;
        try {
          d = loadDeployment("dev", { file: file({ deployments: { dev: { ...valid, api: settings, lambda: { reservedConcurrency } } } }) }) as AwsDeployment;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        taken++;
        const {
          throttlingBurst = 100,
          throttlingRate = 50,
          corsOrigins = [],
        } = settings as { throttlingBurst?: number; throttlingRate?: number; corsOrigins?: string[] };
        for (const o of corsOrigins) expect(o).toMatch(/^https?:\/\/[^/*\\\s]+$/); // only plain origins get through
        const vars = JSON.parse(readFileSync(writeVars(d, dir), "utf8")) as Record<string, unknown>;
        expect(vars.api_throttling).toEqual({ burst_limit: throttlingBurst, rate_limit: throttlingRate });
        expect(d.api.corsOrigins).toEqual(corsOrigins); // the bootstrap's, since the API is
        expect(vars.lambda_reserved_concurrency).toBe(reservedConcurrency);
      }),
      { numRuns: 300 },
    );
    expect(taken).toBeGreaterThan(30);
  });

  it("takes the identity provider into Terraform's variables, and refuses a deployment without one", () => {
    const d = loadDeployment("dev", { file: file({ deployments: { dev: valid } }) }) as AwsDeployment;
    const vars = JSON.parse(readFileSync(writeVars(d, dir), "utf8")) as Record<string, unknown>;
    expect(vars).toMatchObject({ jwt_issuer: "https://issuer.example.com/", jwt_audiences: ["api"] });
    const { auth: _, ...unauthenticated } = valid;
    expect(() => loadDeployment("dev", { file: file({ deployments: { dev: unauthenticated } }) })).toThrow(/auth/);
    for (const bad of [
      { issuer: "http://plain.example.com", audiences: ["a"] },
      { issuer: "https://x.example.com", audiences: [] },
    ]) {
      expect(() => loadDeployment("dev", { file: file({ deployments: { dev: { ...valid, auth: bad } } }) })).toThrow(ConfigError);
    }
  });

  it("takes any on-demand maximum exactly into the table settings the pre-step reconciles, or refuses it (property)", () => {
    const units = fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 10_000_000 }), weight: 8 },
      { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)), weight: 2 },
    );
    const maximum = fc.oneof(
      fc.constant(null),
      fc.record({ readRequestUnits: units, writeRequestUnits: units }, { requiredKeys: [] }),
      fc.record({ readRequestUnits: units, writeRequestUnits: units, extra: fc.anything() }),
    );
    let taken = 0;
    fc.assert(
      fc.property(maximum, (onDemandMaximum) => {
        let d: AwsDeployment;
        try {
          d = loadDeployment("dev", { file: file({ deployments: { dev: { ...valid, table: { onDemandMaximum } } } }) }) as AwsDeployment;
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        taken++;
        const sent = JSON.parse(JSON.stringify(onDemandMaximum)) as Record<string, unknown> | null; // what the file holds
        expect(d.table.onDemandMaximum).toEqual(sent);
        if (sent) expect(Object.values(sent).every((n) => Number.isInteger(n) && (n as number) >= 1)).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(taken).toBeGreaterThan(50);
  });
});
