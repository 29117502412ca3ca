import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAwsDeployments, loadDeployment, localDeployment } from "../../scripts/deployments";
import { ConfigError } from "../../src/lib";

const dir = mkdtempSync(join(tmpdir(), "deployments-"));
function file(content: unknown): string {
  const path = join(dir, `${Math.random()}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}
const valid = { region: "eu-west-1", tableName: "app-dev", state: { bucket: "tf-state", key: "app/dev.tfstate" } };

describe("deployments", () => {
  it("loads the shipped infra/deployments.json, whose examples are valid", () => {
    const all = loadAwsDeployments();
    expect([...all.keys()]).toEqual(["dev", "prod"]);
    expect(all.get("prod")).toMatchObject({ kind: "aws", table: { deletionProtection: true, pointInTimeRecovery: true } });
  });

  it("fills defaults: state region from the deployment, Lambda sizing, tags on the table, no tracing, default alarms", () => {
    const d = loadDeployment("dev", file({ deployments: { dev: { ...valid, tags: { team: "core" } } } }));
    expect(d).toEqual({
      kind: "aws",
      name: "dev",
      region: "eu-west-1",
      tableName: "app-dev",
      state: { bucket: "tf-state", key: "app/dev.tfstate", region: "eu-west-1" },
      tags: { team: "core" },
      table: { tags: { team: "core" } },
      lambda: { memoryMb: 256, timeoutSeconds: 10, logRetentionDays: 30 },
      alarms: {},
      tracing: false,
    });
  });

  it("refuses alarm settings that cannot work, naming each", () => {
    const bad = file({ deployments: { dev: { ...valid, alarms: { email: "oncall", api5xxRate: 5, lambdaErrors: 0 }, tracing: "yes" } } });
    expect(() => loadDeployment("dev", bad)).toThrow(/an email address\n\s+→ at deployments\.dev\.alarms\.email/);
    expect(() => loadDeployment("dev", bad)).toThrow(/expected number to be <=1\n\s+→ at deployments\.dev\.alarms\.api5xxRate/);
    expect(() => loadDeployment("dev", bad)).toThrow(/expected number to be >=1\n\s+→ at deployments\.dev\.alarms\.lambdaErrors/);
    expect(() => loadDeployment("dev", bad)).toThrow(/expected boolean, received string\n\s+→ at deployments\.dev\.tracing/);
  });

  it("lists the known deployments when asked for an unknown one", () => {
    expect(() => loadDeployment("staging", file({ deployments: { dev: valid, prod: valid } }))).toThrow(
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
});
