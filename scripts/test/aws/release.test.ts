/**
 * The AWS release step after `terraform apply`: the pre-traffic check, one CodeDeploy deployment per changed
 * function, progress until it ends, and the reason when CodeDeploy rolled it back.
 *
 * CodeDeploy and Lambda have no local engine: both are mocked at the client boundary (their `send`), CodeDeploy as a
 * small simulation of a Lambda deployment (a first poll at 10 %, then all, or stopped by an alarm), Lambda's aliases
 * as a map. Lambda's Invoke, though, runs the fixture's real built HTTP function against DynamoDB Local.
 */
import { CreateDeploymentCommand, GetDeploymentCommand } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, InvokeCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { ensureTable, migrator } from "@dynamodb-starter/kit/ops";
import { deleteTable, localClients, localEndpoint, uniqueTableName } from "@dynamodb-starter/kit/testing";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFunctions } from "../../src/build";
import { httpFunction } from "../../src/functions";
import { BuiltFunction } from "../../src/local/builtFunction";
import { loadContract } from "../../src/project";
import { codeDeployConfig, pointAliases, ReleaseError, shiftMinutes, shiftTraffic, smokeRequests, type FunctionRelease } from "../../src/aws/release";
import { FIXTURE, FUNCTIONS } from "../support/functions";

const contract = loadContract(FIXTURE);
const admin = localClients();
const work = mkdtempSync(join(tmpdir(), "release-"));
let handler: string;
const tables: string[] = [];
const functions: BuiltFunction[] = [];

beforeAll(async () => {
  const [built] = await buildFunctions(work, [httpFunction(FUNCTIONS)], { zip: false });
  handler = built!.entry;
}, 120_000);
afterAll(async () => {
  functions.forEach((f) => f.stop());
  await Promise.all(tables.map((t) => deleteTable(admin.client, t)));
  admin.client.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** A table for the new version to answer from: migrated, or left with its migrations pending. */
async function table(migrated: boolean): Promise<string> {
  const tableName = uniqueTableName("release");
  tables.push(tableName);
  await ensureTable({ client: admin.client, tableName });
  if (migrated) await migrator({ ...admin, tableName, migrations: contract.api.migrations }).up();
  return tableName;
}

const release = (name: string, version: string): FunctionRelease => ({
  name,
  function_name: `staging-${name}`,
  version,
  alias: "live",
  application: `staging-${name}`,
  deployment_group: "live",
});

/** Lambda's aliases as a map; Invoke runs the built HTTP function on `tableName`. */
function fakeLambda(aliases: Record<string, { version: string; weights: Record<string, number> }>, tableName: string) {
  const built = new BuiltFunction(handler, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: localEndpoint(),
    AWS_REGION: "local",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_LAMBDA_FUNCTION_NAME: "staging-http",
    CURSOR_SECRET: "release-test-cursor-secret-32-bytes!",
  });
  functions.push(built);
  const invoked: string[] = [];
  return {
    invoked,
    aliases,
    async send(command: object) {
      if (command instanceof GetAliasCommand) {
        const alias = aliases[command.input.FunctionName!]!;
        return { FunctionVersion: alias.version, RoutingConfig: { AdditionalVersionWeights: alias.weights } };
      }
      if (command instanceof InvokeCommand) {
        invoked.push(`${command.input.FunctionName}:${command.input.Qualifier}`);
        const answer = await built.send(JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)));
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) };
      }
      if (command instanceof UpdateAliasCommand) {
        aliases[command.input.FunctionName!] = { version: command.input.FunctionVersion!, weights: {} };
        return {};
      }
      throw new Error(`unexpected Lambda call ${command.constructor.name}`);
    },
  };
}

/** CodeDeploy's Lambda deployments, simulated: 10 % on the target at the first poll, then all of it, unless an alarm stops it. */
function fakeCodeDeploy(lambda: ReturnType<typeof fakeLambda>, alarmOn?: string) {
  const deployments = new Map<string, { fn: string; from: string; to: string; polls: number }>();
  return {
    created: [] as object[],
    async send(command: object) {
      if (command instanceof CreateDeploymentCommand) {
        this.created.push(command.input);
        const spec = JSON.parse(command.input.revision!.appSpecContent!.content!) as { Resources: Record<string, { Properties: Record<string, string> }>[] };
        const { Name, CurrentVersion, TargetVersion } = Object.values(spec.Resources[0]!)[0]!.Properties;
        const id = `d-${deployments.size + 1}`;
        deployments.set(id, { fn: Name!, from: CurrentVersion!, to: TargetVersion!, polls: 0 });
        return { deploymentId: id };
      }
      if (command instanceof GetDeploymentCommand) {
        const d = deployments.get(command.input.deploymentId!)!;
        d.polls++;
        if (d.polls === 1) {
          lambda.aliases[d.fn] = { version: d.from, weights: { [d.to]: 0.1 } };
          return { deploymentInfo: { status: "InProgress" } };
        }
        if (d.fn === alarmOn) {
          lambda.aliases[d.fn] = { version: d.from, weights: {} };
          return {
            deploymentInfo: {
              status: "Stopped",
              errorInformation: { message: `The deployment was stopped because the alarm ${d.fn}-errors went off.` },
              rollbackInfo: { rollbackMessage: "Automatic rollback: the live alias points at the previous version." },
            },
          };
        }
        lambda.aliases[d.fn] = { version: d.to, weights: {} };
        return { deploymentInfo: { status: "Succeeded" } };
      }
      throw new Error(`unexpected CodeDeploy call ${command.constructor.name}`);
    },
  };
}

describe("a release on AWS", () => {
  it("checks the new HTTP version first, then shifts each changed function through CodeDeploy, with progress, and leaves an unchanged one", async () => {
    const lambda = fakeLambda({ "staging-http": { version: "3", weights: {} }, "staging-ticketSales": { version: "7", weights: {} } }, await table(true));
    const codedeploy = fakeCodeDeploy(lambda);
    const lines: string[] = [];
    let clock = 0;
    const previous = await shiftTraffic(
      [release("http", "4"), release("ticketSales", "7")],
      "http",
      { lambda, codedeploy },
      {
        shift: "Canary10Percent5Minutes",
        log: (line) => lines.push(line),
        contract,
        pollMs: 0,
        now: () => (clock += 30_000),
      },
    );
    expect(previous).toEqual({ http: "3", ticketSales: "7" });
    expect(lambda.invoked).toEqual(smokeRequests(contract).map(() => "staging-http:4"));
    expect(codedeploy.created).toEqual([
      expect.objectContaining({ applicationName: "staging-http", deploymentGroupName: "live", description: "staging-http: version 3 -> 4" }),
    ]);
    expect(lines).toEqual(
      expect.arrayContaining([
        "  staging-ticketSales: version 7 already live, nothing to shift",
        "shifting 1 function(s) to their new versions: Canary10Percent5Minutes (about 5 min), rolled back by CodeDeploy on an alarm",
        expect.stringMatching(/^ {2}staging-http: InProgress, 10% on version 4, about \d min \d+ s left$/),
        "  staging-http: Succeeded, 100% on version 4",
        "all traffic on the new versions (staging-http 4)",
      ]),
    );
    expect(lambda.aliases["staging-http"]).toEqual({ version: "4", weights: {} });
  });

  it("says why, and exits with an error, when CodeDeploy rolled a function back on its alarm", async () => {
    const lambda = fakeLambda({ "staging-http": { version: "3", weights: {} } }, await table(true));
    const codedeploy = fakeCodeDeploy(lambda, "staging-http");
    const attempt = shiftTraffic([release("http", "4")], "http", { lambda, codedeploy }, { shift: "AllAtOnce", log: () => {}, contract, pollMs: 0 });
    await expect(attempt).rejects.toThrow(ReleaseError);
    await expect(attempt).rejects.toThrow(
      /the release was rolled back[^\n]*\n {2}- staging-http \(back on version 3\): Stopped: The deployment was stopped because the alarm staging-http-errors went off\.; Automatic rollback/,
    );
    expect(lambda.aliases["staging-http"]).toEqual({ version: "3", weights: {} });
  });

  it("moves back the functions that did shift when another one is rolled back: one release for all", async () => {
    const lambda = fakeLambda({ "staging-http": { version: "3", weights: {} }, "staging-ticketSales": { version: "7", weights: {} } }, await table(true));
    const codedeploy = fakeCodeDeploy(lambda, "staging-ticketSales");
    const lines: string[] = [];
    await expect(
      shiftTraffic(
        [release("http", "4"), release("ticketSales", "8")],
        "http",
        { lambda, codedeploy },
        { shift: "AllAtOnce", log: (line) => lines.push(line), contract, pollMs: 0 },
      ),
    ).rejects.toThrow(/staging-ticketSales \(back on version 7\): Stopped/);
    expect(lambda.aliases).toEqual({ "staging-http": { version: "3", weights: {} }, "staging-ticketSales": { version: "7", weights: {} } });
    expect(lines).toContain("  moving back the functions that had shifted: staging-http");
  });

  it("shifts nothing when the new version fails its pre-traffic check: here, its table still lacks an expand it needs", async () => {
    const lambda = fakeLambda({ "staging-http": { version: "3", weights: {} } }, await table(false));
    const codedeploy = fakeCodeDeploy(lambda);
    await expect(
      shiftTraffic([release("http", "4")], "http", { lambda, codedeploy }, { shift: "AllAtOnce", log: () => {}, contract, pollMs: 0 }),
    ).rejects.toThrow(/the pre-traffic check of staging-http version 4 failed, so no traffic was shifted[^\n]*\n {2}- GET \/health: answered 503/);
    expect(codedeploy.created).toEqual([]);
    expect(lambda.aliases["staging-http"]).toEqual({ version: "3", weights: {} });
  });

  it("rolls back by pointing each alias at the release's version, all traffic at once", async () => {
    const lambda = fakeLambda({ "staging-http": { version: "4", weights: { "5": 0.1 } } }, await table(true));
    const lines: string[] = [];
    await pointAliases(lambda, [release("http", "")], { http: "3" }, (line) => lines.push(line));
    expect(lambda.aliases["staging-http"]).toEqual({ version: "3", weights: {} });
    expect(lines).toEqual(["  staging-http: live -> version 3"]);
  });

  it("knows each shift CodeDeploy offers: its configuration and how long it takes", () => {
    expect(codeDeployConfig("Canary10Percent15Minutes")).toBe("CodeDeployDefault.LambdaCanary10Percent15Minutes");
    expect([
      shiftMinutes("AllAtOnce"),
      shiftMinutes("Canary10Percent30Minutes"),
      shiftMinutes("Linear10PercentEvery1Minute"),
      shiftMinutes("Linear10PercentEvery10Minutes"),
    ]).toEqual([0, 30, 9, 90]);
    // Smoke requests: health, and the walkthrough's reads that need no captured value (the fixture's all do).
    expect(smokeRequests(contract).map((r) => `${r.method} ${r.path}`)).toEqual(["GET /health"]);
  });
});
