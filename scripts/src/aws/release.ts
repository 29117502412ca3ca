/**
 * The ship step's release on AWS, after `terraform apply` published a version of each function: a pre-traffic check
 * of the new HTTP version (the contract's smoke requests, invoked on that version before any traffic reaches it),
 * then one CodeDeploy deployment per changed function, moving its `live` alias per the deployment's shift, watched
 * until it ends: progress (percent on the new version, time left), and on a rollback the reason and a non-zero exit.
 * `make rollback` moves the aliases back with the same clients.
 */
import { CreateDeploymentCommand, GetDeploymentCommand, type CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, InvokeCommand, UpdateAliasCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { setTimeout as sleep } from "node:timers/promises";
import { StarterError } from "@dynamodb-starter/kit/runtime";
import { callerClaims, type AppContract, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { apiGatewayEvent, jwtContext } from "@dynamodb-starter/kit/testing";

/** CodeDeploy's predefined Lambda shifts ("release": { "shift": ... } in infra/deployments.json). */
export const SHIFTS = [
  "AllAtOnce",
  "Canary10Percent5Minutes",
  "Canary10Percent10Minutes",
  "Canary10Percent15Minutes",
  "Canary10Percent30Minutes",
  "Linear10PercentEvery1Minute",
  "Linear10PercentEvery2Minutes",
  "Linear10PercentEvery3Minutes",
  "Linear10PercentEvery10Minutes",
] as const;
export type Shift = (typeof SHIFTS)[number];

export const codeDeployConfig = (shift: Shift) => `CodeDeployDefault.Lambda${shift}`;

/** How long a shift takes to move all traffic, in minutes (a canary waits once; a linear shift takes ten steps). */
export function shiftMinutes(shift: Shift): number {
  const canary = /^Canary10Percent(\d+)Minutes$/.exec(shift);
  if (canary) return Number(canary[1]);
  const linear = /^Linear10PercentEvery(\d+)Minutes?$/.exec(shift);
  return linear ? Number(linear[1]) * 9 : 0;
}

export class ReleaseError extends StarterError<"RELEASE"> {
  override name = "ReleaseError";
  constructor(message: string) {
    super("RELEASE", message);
  }
}

/** One function's release, from the service module's `releases` output. */
export interface FunctionRelease {
  /** The handler's name (src/handlers/<name>.ts). */
  name: string;
  function_name: string;
  /** The version this apply published. */
  version: string;
  alias: string;
  application: string;
  deployment_group: string;
}

export interface ReleaseClients {
  lambda: Pick<LambdaClient, "send">;
  codedeploy: Pick<CodeDeployClient, "send">;
}

/**
 * The smoke requests of a pre-traffic check: `GET /health` and each walkthrough request that only reads and needs no
 * value captured from another. On a live table the data they name may or may not exist, so what counts is that the
 * version answers: no error, no 5xx (a pending migration, a crash at load, a route that throws).
 */
export function smokeRequests(contract: Pick<AppContract, "walkthrough">): SampleRequest[] {
  const reads = contract.walkthrough.filter((r) => r.method === "GET" && !/\{\{\w+\}\}/.test(JSON.stringify(r)));
  return [{ as: "", method: "GET", path: "/health", status: 200 }, ...reads];
}

/** An invocation of one version of the HTTP function: its result, or the error that ended it. */
export type Invoke = (event: unknown) => Promise<{ statusCode?: number; error?: string }>;

/** Lambda's Invoke of `version` of `functionName`, as a pre-traffic check sends it. */
export const lambdaInvoke =
  (lambda: ReleaseClients["lambda"], functionName: string, version: string): Invoke =>
  async (event) => {
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Qualifier: version, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
    );
    const payload = answer.Payload ? new TextDecoder().decode(answer.Payload) : "";
    if (answer.FunctionError) return { error: `${answer.FunctionError} error ${payload.slice(0, 300)}` };
    return { statusCode: (JSON.parse(payload || "{}") as { statusCode?: number }).statusCode ?? 200 };
  };

/**
 * Before any traffic reaches a new version of the HTTP function: it answers each smoke request (as its caller), or
 * the release stops here, naming them.
 */
export async function preTrafficCheck(
  invoke: Invoke,
  what: string,
  contract: Pick<AppContract, "walkthrough" | "callers">,
  log: (line: string) => void,
): Promise<void> {
  const failures: string[] = [];
  const requests = smokeRequests(contract);
  for (const request of requests) {
    const event = apiGatewayEvent({
      method: request.method,
      rawPath: request.path,
      ...(request.query ? { rawQueryString: new URLSearchParams(request.query).toString() } : {}),
      ...(request.as ? { jwt: jwtContext(callerClaims(contract, request)) } : {}),
    });
    const { statusCode, error } = await invoke(event);
    if (error !== undefined || (statusCode ?? 200) >= 500) failures.push(`${request.method} ${request.path}: ${error ?? `answered ${statusCode}`}`);
  }
  if (failures.length) {
    throw new ReleaseError(
      `the pre-traffic check of ${what} failed, so no traffic was shifted; the previous version still serves:\n` + failures.map((f) => `  - ${f}`).join("\n"),
    );
  }
  log(`  pre-traffic check: ${what} answered ${requests.length} smoke request(s)`);
}

/** The version an alias points at, and the weight of any other version it routes to. */
async function aliasState(lambda: ReleaseClients["lambda"], release: FunctionRelease): Promise<{ version: string; weights: Record<string, number> }> {
  const alias = await lambda.send(new GetAliasCommand({ FunctionName: release.function_name, Name: release.alias }));
  return { version: alias.FunctionVersion!, weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {} };
}

/** Percent of the traffic on `version`, as the alias routes it. */
const percentOn = ({ version, weights }: { version: string; weights: Record<string, number> }, target: string) =>
  Math.round(version === target ? 100 * (1 - Object.values(weights).reduce((a, b) => a + b, 0)) : 100 * (weights[target] ?? 0));

const FINISHED = new Set(["Succeeded", "Failed", "Stopped"]);

export interface ShiftOptions {
  shift: Shift;
  log: (line: string) => void;
  /** The HTTP function's smoke requests come from its contract. */
  contract: Pick<AppContract, "walkthrough" | "callers">;
  /** How often progress is read and printed. */
  pollMs?: number;
  now?: () => number;
}

/**
 * Moves each function's live alias to the version this apply published, one CodeDeploy deployment each, and waits for
 * all of them. Returns the versions each alias pointed at before (what `make rollback` returns to). Throws a
 * ReleaseError saying why when a deployment failed or was rolled back on an alarm.
 */
export async function shiftTraffic(
  releases: readonly FunctionRelease[],
  http: string,
  clients: ReleaseClients,
  { shift, log, contract, pollMs = 15_000, now = Date.now }: ShiftOptions,
): Promise<Record<string, string>> {
  const previous: Record<string, string> = {};
  const moving: { release: FunctionRelease; from: string; deploymentId: string }[] = [];
  const changed: { release: FunctionRelease; from: string }[] = [];
  for (const release of releases) {
    const { version: from } = await aliasState(clients.lambda, release);
    previous[release.name] = from;
    if (from === release.version) log(`  ${release.function_name}: version ${from} already live, nothing to shift`);
    else changed.push({ release, from });
  }
  if (changed.length === 0) return previous;
  // Before any traffic moves: the new HTTP version answers the contract's smoke requests.
  const api = changed.find(({ release }) => release.name === http);
  if (api)
    await preTrafficCheck(
      lambdaInvoke(clients.lambda, api.release.function_name, api.release.version),
      `${api.release.function_name} version ${api.release.version}`,
      contract,
      log,
    );

  const minutes = shiftMinutes(shift);
  log(
    `shifting ${changed.length} function(s) to their new versions: ${shift}${minutes ? ` (about ${minutes} min)` : ""}, rolled back by CodeDeploy on an alarm`,
  );
  for (const { release, from } of changed) {
    const appSpec = {
      version: 0.0,
      Resources: [
        {
          [release.name]: {
            Type: "AWS::Lambda::Function",
            Properties: { Name: release.function_name, Alias: release.alias, CurrentVersion: from, TargetVersion: release.version },
          },
        },
      ],
    };
    const { deploymentId } = await clients.codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: release.application,
        deploymentGroupName: release.deployment_group,
        revision: { revisionType: "AppSpecContent", appSpecContent: { content: JSON.stringify(appSpec) } },
        description: `${release.function_name}: version ${from} -> ${release.version}`,
      }),
    );
    moving.push({ release, from, deploymentId: deploymentId! });
  }

  const started = now();
  const outcome = new Map<string, { status: string; reason?: string }>();
  for (;;) {
    for (const { release, deploymentId } of moving) {
      if (outcome.has(deploymentId) && FINISHED.has(outcome.get(deploymentId)!.status)) continue;
      const { deploymentInfo: info } = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId }));
      const status = info?.status ?? "Unknown";
      const reason = [info?.errorInformation?.message, info?.rollbackInfo?.rollbackMessage].filter(Boolean).join("; ");
      outcome.set(deploymentId, { status, ...(reason ? { reason } : {}) });
      const percent = percentOn(await aliasState(clients.lambda, release), release.version);
      const left = Math.max(0, minutes * 60 - Math.round((now() - started) / 1000));
      const eta = FINISHED.has(status) ? "" : minutes ? `, about ${Math.floor(left / 60)} min ${left % 60} s left` : "";
      log(`  ${release.function_name}: ${status}, ${percent}% on version ${release.version}${eta}`);
    }
    if (moving.every(({ deploymentId }) => FINISHED.has(outcome.get(deploymentId)!.status))) break;
    await sleep(pollMs);
  }
  const failed = moving.filter(({ deploymentId }) => outcome.get(deploymentId)!.status !== "Succeeded");
  if (failed.length) {
    // One release for all functions: those that did shift go back too, so no function runs code the others do not.
    const shifted = moving.filter(({ deploymentId }) => outcome.get(deploymentId)!.status === "Succeeded");
    if (shifted.length) {
      log(`  moving back the functions that had shifted: ${shifted.map(({ release }) => release.function_name).join(", ")}`);
      await pointAliases(
        clients.lambda,
        shifted.map(({ release }) => release),
        Object.fromEntries(shifted.map(({ release, from }) => [release.name, from])),
        log,
      );
    }
    throw new ReleaseError(
      `the release was rolled back: the live aliases point at the previous versions again:\n` +
        failed
          .map(
            ({ release, from, deploymentId }) =>
              `  - ${release.function_name} (back on version ${from}): ${outcome.get(deploymentId)!.status}${outcome.get(deploymentId)!.reason ? `: ${outcome.get(deploymentId)!.reason}` : ""} (CodeDeploy deployment ${deploymentId})`,
          )
          .join("\n") +
        "\nContract migrations and the catch-up did not run. Fix the release and deploy again.",
    );
  }
  log(`all traffic on the new versions (${moving.map(({ release }) => `${release.function_name} ${release.version}`).join(", ")})`);
  return previous;
}

/** Points each alias at a version again, at once (`make rollback`). */
export async function pointAliases(
  lambda: ReleaseClients["lambda"],
  releases: readonly FunctionRelease[],
  versions: Record<string, string>,
  log: (line: string) => void,
) {
  for (const release of releases) {
    const version = versions[release.name];
    if (!version) continue;
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: release.function_name,
        Name: release.alias,
        FunctionVersion: version,
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    log(`  ${release.function_name}: live -> version ${version}`);
  }
}
