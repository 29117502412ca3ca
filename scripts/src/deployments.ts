/**
 * Named deployments. `local` is built in (DynamoDB Local on this machine);
 * the AWS ones live in infra/deployments.json, validated as a whole on load
 * (unknown keys included, so a typo is an error rather than a silent default).
 */
import { SHIFTS, type Shift } from "./aws/release";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as z from "zod/mini";
import { en } from "zod/locales";
import { ConfigError, LOCAL_REGION, TABLE_NAME_PATTERN, TABLE_NAME_RULE, type DynamoConfig } from "@dynamodb-starter/kit/runtime";
import { type TableSettings } from "@dynamodb-starter/kit/ops";
import { freePort, waitUntilReady } from "./local/dynamoDbLocal";

/** A function's memory when neither its config nor its deployment says (make cost prices the local deployment with it too). */
export const DEFAULT_LAMBDA_MEMORY_MB = 256;
import { project, type Project } from "./project";

z.config(en());

/** Deployment names end up in resource names (`<name>-api`). */
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const region = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1"));
/**
 * A state key becomes part of IAM resource ARNs (the deploy role's right to its own state): path segments of plain
 * characters only, so that no "*" or "?" widens it to another deployment's state, and no "..".
 */
const stateKey = z.string().check(
  z.regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "path segments of letters, digits, '_', '.' and '-', such as service/prod.tfstate"),
  z.refine((key) => !key.split("/").some((segment) => /^\.+$/.test(segment)), { message: 'no "." or ".." segment' }),
  z.maxLength(512),
);
const roleArn = z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "an IAM role ARN"));
/** The default threshold: a backfill of fewer items takes under about an hour in one process (make bench's rates). */
export const DISTRIBUTED_ABOVE_ITEMS = 5_000_000;

const int = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));

const awsDeployment = z.strictObject({
  region,
  tableName: z.string().check(z.regex(TABLE_NAME_PATTERN, `a DynamoDB table name: ${TABLE_NAME_RULE}`)),
  state: z.strictObject({
    bucket: z.string().check(z.minLength(3)),
    key: stateKey,
    region: z.optional(region),
    /** The state bucket's KMS key, made by `make bootstrap` (its output state_kms_key_arn). */
    kmsKeyArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/, "a KMS key ARN"))),
  }),
  tags: z._default(z.record(z.string(), z.string()), {}),
  table: z._default(
    z.strictObject({
      pointInTimeRecovery: z.optional(z.boolean()),
      deletionProtection: z.optional(z.boolean()),
      ttlAttribute: z.optional(z.nullable(z.string().check(z.minLength(1)))),
      encryption: z.optional(
        z.union([z.literal("aws-owned"), z.literal("aws-managed"), z.strictObject({ kmsKeyArn: z.string().check(z.startsWith("arn:")) })]),
      ),
      /** A ceiling on the on-demand table's request units per second: what an anonymous flood could cost. */
      onDemandMaximum: z.optional(z.nullable(z.strictObject({ readRequestUnits: int(1, 10_000_000), writeRequestUnits: int(1, 10_000_000) }))),
    }),
    {},
  ),
  lambda: z._default(
    z.strictObject({
      memoryMb: z._default(int(128, 10240), DEFAULT_LAMBDA_MEMORY_MB),
      timeoutSeconds: z._default(int(1, 30), 10),
      logRetentionDays: z._default(int(1, 3653), 30),
      /** Concurrent executions reserved for the function, and the most it may use. */
      reservedConcurrency: z._default(int(1, 100_000), 20),
    }),
    { memoryMb: DEFAULT_LAMBDA_MEMORY_MB, timeoutSeconds: 10, logRetentionDays: 30, reservedConcurrency: 20 },
  ),
  /**
   * Who may call the API: the identity provider whose JWTs API Gateway accepts (the exact `iss` of its
   * tokens) and the audiences (`aud` or `client_id`) they must carry. `make bootstrap` can create a
   * Cognito user pool for a deployment with `createUserPool` and prints both values.
   */
  auth: z.strictObject({
    issuer: z.string().check(z.regex(/^https:\/\/\S+$/, "an https URL: the exact iss of the provider's tokens")),
    audiences: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, "at least one audience")),
    createUserPool: z._default(z.boolean(), false),
  }),
  /** The HTTP API's stage throttling, and the browser origins allowed by CORS (none: CORS off). */
  api: z._default(
    z.strictObject({
      throttlingBurst: z._default(int(1, 100_000), 100),
      throttlingRate: z._default(int(1, 100_000), 50),
      corsOrigins: z._default(z.array(z.string().check(z.regex(/^https?:\/\/[^/*\\\s]+$/, "an origin such as https://app.example.com"))), []),
    }),
    { throttlingBurst: 100, throttlingRate: 50, corsOrigins: [] },
  ),
  /** Where alarms go and when they fire; every threshold has a default in scripts/terraform/service/variables.tf. */
  alarms: z._default(
    z.strictObject({
      email: z.optional(z.string().check(z.regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an email address"))),
      lambdaErrors: z.optional(int(1, 1_000_000)),
      durationRatio: z.optional(z.number().check(z.gt(0), z.maximum(1))),
      api5xxRate: z.optional(z.number().check(z.gt(0), z.maximum(1))),
      api4xxRate: z.optional(z.number().check(z.gt(0), z.maximum(1))),
      dynamodbThrottles: z.optional(int(1, 1_000_000)),
      routeLatencyP99Ms: z.optional(int(1, 30_000)),
      route5xx: z.optional(int(1, 1_000_000)),
      capacityRatio: z.optional(z.number().check(z.gt(0), z.maximum(1))),
    }),
    {},
  ),
  /**
   * How a deploy moves each function's traffic to its new version: one of CodeDeploy's predefined Lambda shifts
   * (AllAtOnce; Canary10Percent5Minutes, 10, 15, 30; Linear10PercentEvery1Minute, 2, 3, 10 Minutes), rolled back by
   * CodeDeploy on the functions' alarms.
   */
  release: z._default(z.strictObject({ shift: z._default(z.enum(SHIFTS), "AllAtOnce") }), { shift: "AllAtOnce" }),
  /**
   * From how many items (DescribeTable's estimate) a migration's declared backfill runs on the backfill state machine
   * (Step Functions Distributed Map) instead of in the deploy's own process.
   */
  backfills: z._default(z.strictObject({ distributedAboveItems: z._default(int(0, 1e12), DISTRIBUTED_ABOVE_ITEMS) }), {
    distributedAboveItems: DISTRIBUTED_ABOVE_ITEMS,
  }),
  /** X-Ray active tracing of the function. */
  tracing: z._default(z.boolean(), false),
  /** Whether pull requests may run `make plan` of this deployment (they can then read its Terraform state). */
  planFromPullRequests: z._default(z.boolean(), false),
  /**
   * Who may deploy it from GitHub: the deploy workflow run from these branches, in the GitHub environment of the
   * deployment's name, whose rules `make bootstrap` checks (deployment branches, and reviewers when required).
   */
  github: z._default(
    z.strictObject({
      deployBranches: z._default(z.array(z.string().check(z.regex(/^[\w./-]+$/, "a branch name, without wildcards"))).check(z.minLength(1)), ["main"]),
      requireReviewers: z._default(z.boolean(), false),
    }),
    { deployBranches: ["main"], requireReviewers: false },
  ),
});

/** The GitHub repository whose workflows deploy (make bootstrap); read from the git remote when absent. */
const github = z.strictObject({
  repository: z.string().check(z.regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "owner/name")),
  /** The account's existing GitHub OIDC provider, if it has one (an account can have only one). */
  oidcProviderArn: z.optional(z.string().check(z.startsWith("arn:aws:iam::"))),
});

/** What only `make bootstrap` reads. */
const bootstrap = z.strictObject({
  /** A role few people can assume (MFA, an audited process) that administers the state's KMS key if the bootstrap's admin is gone. */
  breakGlassRoleArn: roleArn,
});

const deploymentsFile = z.strictObject({ github: z.optional(github), bootstrap: z.optional(bootstrap), deployments: z.record(z.string(), awsDeployment) });

export interface LocalDeployment {
  kind: "local";
  name: "local";
  tableName: string;
  /** Where the local API listens (LOCAL_API_PORT overrides). */
  apiPort: number;
  /** Where DynamoDB Local listens (LOCAL_DYNAMODB_PORT overrides). */
  dynamoPort: number;
  /** Data, pid and log files of the local deployment (LOCAL_STATE_DIR overrides); git-ignored. */
  stateDir: string;
  /** Where `make deploy` builds the handler: dist/ for the local deployment, a directory of its own for an isolated one. */
  buildDir: string;
  table: TableSettings;
  /** The service it runs: its handlers, its contract. */
  project: Project;
  /**
   * How a deploy over a running local deployment moves the API to the new build: `share` of the requests for
   * `seconds`, then all of them (LOCAL_SHIFT_SHARE, LOCAL_SHIFT_SECONDS; 0.5 and 10 by default).
   */
  shift: { share: number; seconds: number };
  /** From how many items a declared backfill runs on the local state machine (LOCAL_DISTRIBUTED_ABOVE_ITEMS). */
  backfills: { distributedAboveItems: number };
}

export interface AwsDeployment {
  kind: "aws";
  name: string;
  region: string;
  tableName: string;
  state: { bucket: string; key: string; region: string; kmsKeyArn?: string | undefined };
  tags: Record<string, string>;
  table: TableSettings;
  lambda: { memoryMb: number; timeoutSeconds: number; logRetentionDays: number; reservedConcurrency: number };
  api: { throttlingBurst: number; throttlingRate: number; corsOrigins: string[] };
  auth: { issuer: string; audiences: string[]; createUserPool: boolean };
  alarms: {
    email?: string | undefined;
    lambdaErrors?: number | undefined;
    durationRatio?: number | undefined;
    api5xxRate?: number | undefined;
    api4xxRate?: number | undefined;
    dynamodbThrottles?: number | undefined;
    routeLatencyP99Ms?: number | undefined;
    route5xx?: number | undefined;
    capacityRatio?: number | undefined;
  };
  release: { shift: Shift };
  backfills: { distributedAboveItems: number };
  tracing: boolean;
  planFromPullRequests: boolean;
  github: { deployBranches: string[]; requireReviewers: boolean };
}

export interface GithubSettings {
  repository?: string | undefined;
  oidcProviderArn?: string | undefined;
}

export interface BootstrapSettings {
  breakGlassRoleArn?: string | undefined;
}

export type Deployment = LocalDeployment | AwsDeployment;

/**
 * The built-in local deployment of project `p`. Its ports: the environment's (LOCAL_API_PORT, LOCAL_DYNAMODB_PORT),
 * else those it runs on (remembered in its state directory when it was deployed), else 3000 and 8000. So `make seed`
 * or `make invoke` in another shell reaches the deployment that runs, not whatever listens on the defaults.
 */
export function localDeployment(env: NodeJS.ProcessEnv = process.env, p: Project = project()): LocalDeployment {
  const stateDir = resolve(env.LOCAL_STATE_DIR || p.localStateDir);
  const running = rememberedPorts(stateDir);
  return {
    kind: "local",
    name: "local",
    tableName: "app-local",
    apiPort: port(env.LOCAL_API_PORT, running?.apiPort ?? 3000, "LOCAL_API_PORT"),
    dynamoPort: port(env.LOCAL_DYNAMODB_PORT, running?.dynamoPort ?? 8000, "LOCAL_DYNAMODB_PORT"),
    stateDir,
    buildDir: p.distDir,
    table: { deletionProtection: false, ttlAttribute: "expiresAt" },
    project: p,
    shift: {
      share: fraction(env.LOCAL_SHIFT_SHARE, 0.5, "LOCAL_SHIFT_SHARE"),
      seconds: whole(env.LOCAL_SHIFT_SECONDS, 10, 0, 3_600, "LOCAL_SHIFT_SECONDS"),
    },
    backfills: { distributedAboveItems: whole(env.LOCAL_DISTRIBUTED_ABOVE_ITEMS, DISTRIBUTED_ABOVE_ITEMS, 0, 1e12, "LOCAL_DISTRIBUTED_ABOVE_ITEMS") },
  };
}

const portsFile = (stateDir: string) => join(stateDir, "ports.json");

function rememberedPorts(stateDir: string): { apiPort: number; dynamoPort: number } | undefined {
  if (!existsSync(portsFile(stateDir))) return undefined;
  try {
    const { apiPort, dynamoPort } = JSON.parse(readFileSync(portsFile(stateDir), "utf8")) as { apiPort?: unknown; dynamoPort?: unknown };
    return typeof apiPort === "number" && typeof dynamoPort === "number" ? { apiPort, dynamoPort } : undefined;
  } catch {
    return undefined; // a damaged file: the defaults, as if none
  }
}

/** Remembers the ports a local deployment runs on, for the commands run after it (localDeployment()). */
export function rememberPorts(d: LocalDeployment): void {
  writeFileSync(portsFile(d.stateDir), `${JSON.stringify({ apiPort: d.apiPort, dynamoPort: d.dynamoPort })}\n`);
}

/** A local deployment of its own (temporary state dir, free ports), for tests, load runs and benchmarks. */
export async function isolatedLocalDeployment(prefix: string, p: Project = project()): Promise<LocalDeployment> {
  const stateDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const env = { LOCAL_STATE_DIR: stateDir, LOCAL_API_PORT: String(await freePort()), LOCAL_DYNAMODB_PORT: String(await freePort()) };
  // Its own build directory too: two isolated deployments (tests running in parallel) never rebuild dist/ under each other.
  return { ...localDeployment(env, p), buildDir: join(stateDir, "dist") };
}

function fraction(value: string | undefined, fallback: number, variable: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new ConfigError(`${variable}="${value}" is not a share of the requests: a number between 0 and 1, such as 0.25`);
  return n;
}

function whole(value: string | undefined, fallback: number, min: number, max: number, variable: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${variable}="${value}" is not a whole number of seconds from ${min} to ${max}`);
  return n;
}

function port(value: string | undefined, fallback: number, variable: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${variable}="${value}" is not a port number (1-65535)`);
  return n;
}

/** Resolves a deployment by name; an unknown name lists the known ones. */
export function loadDeployment(
  deployment: string,
  { project: p = project(), file = p.deploymentsFile, env = process.env }: { project?: Project; file?: string; env?: NodeJS.ProcessEnv } = {},
): Deployment {
  if (deployment === "local") return localDeployment(env, p);
  const all = loadAwsDeployments(file);
  const found = all.get(deployment);
  if (!found) {
    throw new ConfigError(
      `unknown deployment "${deployment}". Known deployments: ${["local", ...all.keys()].join(", ")} (the AWS ones are defined in ${file}).`,
    );
  }
  return found;
}

export function loadAwsDeployments(file = project().deploymentsFile): Map<string, AwsDeployment> {
  return loadDeploymentsFile(file).deployments;
}

/** The GitHub and bootstrap settings of infra/deployments.json (make bootstrap). */
export function loadAccountSettings(file = project().deploymentsFile): { github: GithubSettings; bootstrap: BootstrapSettings } {
  const { github, bootstrap } = loadDeploymentsFile(file);
  return { github, bootstrap };
}

function loadDeploymentsFile(file: string): { deployments: Map<string, AwsDeployment>; github: GithubSettings; bootstrap: BootstrapSettings } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = deploymentsFile.safeParse(raw);
  const names = typeof raw === "object" && raw && "deployments" in raw && typeof raw.deployments === "object" ? Object.keys(raw.deployments ?? {}) : [];
  const moved =
    typeof raw === "object" && raw && "github" in raw && typeof raw.github === "object" && raw.github && "deployBranches" in raw.github
      ? ['✖ github.deployBranches moved into each deployment: "github": { "deployBranches": [...], "requireReviewers": true|false }']
      : [];
  const problems = [
    ...moved,
    ...(parsed.success ? [] : [z.prettifyError(parsed.error)]),
    ...names.filter((n) => !NAME.test(n)).map((n) => `✖ deployment name "${n}": use lowercase letters, digits and dashes, starting with a letter, at most 31`),
    ...(names.includes("local") ? ['✖ deployment name "local" is built in; give that deployment another name'] : []),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(`${file} is invalid:\n${problems.join("\n")}`);

  const deployments = new Map<string, AwsDeployment>(
    Object.entries(parsed.data.deployments).map(([key, d]) => [
      key,
      {
        kind: "aws",
        name: key,
        region: d.region,
        tableName: d.tableName,
        state: { bucket: d.state.bucket, key: d.state.key, region: d.state.region ?? d.region, ...(d.state.kmsKeyArn ? { kmsKeyArn: d.state.kmsKeyArn } : {}) },
        tags: d.tags,
        table: { ...d.table, tags: d.tags },
        lambda: d.lambda,
        api: d.api,
        auth: d.auth,
        alarms: d.alarms,
        release: d.release,
        backfills: d.backfills,
        tracing: d.tracing,
        planFromPullRequests: d.planFromPullRequests,
        github: d.github,
      },
    ]),
  );
  const { repository, oidcProviderArn } = parsed.data.github ?? {};
  return { deployments, github: { repository, oidcProviderArn }, bootstrap: { breakGlassRoleArn: parsed.data.bootstrap?.breakGlassRoleArn } };
}

/** Where a deployment's table is, and its declared settings; for local, only while its DynamoDB Local runs. */
export async function deploymentTable(name: string, p: Project = project()): Promise<DynamoConfig & { settings: TableSettings }> {
  const d = loadDeployment(name, { project: p });
  if (d.kind === "aws") return { tableName: d.tableName, region: d.region, settings: d.table };
  const endpoint = `http://127.0.0.1:${d.dynamoPort}`;
  try {
    await waitUntilReady(endpoint, { timeoutMs: 1_000 });
  } catch {
    throw new ConfigError(`the local deployment's DynamoDB is not running on ${endpoint}: start it with "make deploy".`);
  }
  return { tableName: d.tableName, region: LOCAL_REGION, endpoint, settings: d.table };
}
