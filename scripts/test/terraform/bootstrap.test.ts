import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapVars, DEPLOY_WORKFLOW, main, PULL_REQUEST_WORKFLOW, RESTORE_DRILL_WORKFLOW, repositoryOf } from "../../src/aws/bootstrap";
import { NO_AWS_CREDENTIALS, terraformOnPath, withEnv } from "../support/env";
import { FIXTURE, FUNCTIONS } from "../support/functions";
import { TEMPLATE_ROOT } from "../support/env";
import { BOOTSTRAP_DIR, POLICIES_DIR, loadInfra, policyDocumentStatements, unresolvedReferences, type Hcl } from "../support/terraform";

const TABLE_ACTIONS =
  /^dynamodb:(CreateTable|UpdateTable|DeleteTable|RestoreTable\w*|CreateGlobalTable|UpdateGlobalTable\w*|UpdateTimeToLive|UpdateContinuousBackups|TagResource|UntagResource|CreateBackup|DeleteBackup|ImportTable|ExportTableToPointInTime|PutResourcePolicy|DeleteResourcePolicy)$/;

let files: Record<string, Hcl>;
let tf: Hcl;
beforeAll(async () => {
  ({ files, merged: tf } = await loadInfra(BOOTSTRAP_DIR));
});

const placeholdersOf = (file: string) => [...new Set([...readFileSync(join(POLICIES_DIR, file), "utf8").matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();

describe("terraform/bootstrap/ (parsed with the HCL parser)", () => {
  it("is a root of its own, with local state: no backend block, providers pinned like the service module", () => {
    expect(Object.keys(files)).toEqual([
      "apis.tf",
      "backfills.tf",
      "functions.tf",
      "github.tf",
      "guards.tf",
      "identity.tf",
      "outputs.tf",
      "releases.tf",
      "roles.tf",
      "state.tf",
      "variables.tf",
      "versions.tf",
    ]);
    const [terraform] = files["versions.tf"]!.terraform;
    // Local, at the path make bootstrap gives it (-backend-config=path=...): the service's repository, not this package.
    expect(terraform.backend).toEqual({ local: [{}] });
    expect(terraform.required_version).toBe(">= 1.10.0, < 2.0.0");
    expect(terraform.required_providers[0].aws).toEqual({ source: "hashicorp/aws", version: "~> 6.0" });
    expect(readFileSync(join(BOOTSTRAP_DIR, "versions.tf"), "utf8")).toContain("Its own state is LOCAL");
  });

  it("resolves every reference, and documents every variable and output", () => {
    const { total, unresolved } = unresolvedReferences(tf);
    expect(total).toBeGreaterThan(25);
    expect(unresolved).toEqual([]);
    for (const [name, [v]] of Object.entries(tf.variable) as [string, Hcl[]][])
      expect({ name, d: typeof v!.description, t: typeof v!.type }).toEqual({ name, d: "string", t: "string" });
    expect(Object.keys(tf.output).sort()).toEqual([
      "api_ids",
      "deploy_role_arns",
      "function_role_arns",
      "github_oidc_provider_arn",
      "plan_role_arns",
      "state_bucket",
      "state_kms_key_arn",
      "table_guard_topic_arns",
      "user_pools",
    ]);
    for (const [name, [o]] of Object.entries(tf.output) as [string, Hcl[]][]) expect({ name, d: typeof o!.description }).toEqual({ name, d: "string" });
  });

  it("makes the state bucket versioned, encrypted, never public, TLS-only, kept on destroy", () => {
    const r = tf.resource;
    expect(r.aws_s3_bucket.state[0]).toMatchObject({ bucket: "${var.state_bucket}", lifecycle: [{ prevent_destroy: true }] });
    expect(r.aws_s3_bucket_versioning.state[0].versioning_configuration[0].status).toBe("Enabled");
    const [rule] = r.aws_s3_bucket_server_side_encryption_configuration.state[0].rule;
    expect(rule.apply_server_side_encryption_by_default[0]).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.state.arn}" });
    expect(rule.bucket_key_enabled).toBe(true);
    expect(r.aws_s3_bucket_public_access_block.state[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(r.aws_s3_bucket_ownership_controls.state[0].rule[0].object_ownership).toBe("BucketOwnerEnforced");
    expect(r.aws_s3_bucket_policy.state[0].policy).toBe("${data.aws_iam_policy_document.state_tls_only.json}");
    const [deny] = tf.data.aws_iam_policy_document.state_tls_only[0].statement;
    expect(deny).toMatchObject({ effect: "Deny", condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] });
    expect(deny.resources).toEqual(["${aws_s3_bucket.state.arn}", "${aws_s3_bucket.state.arn}/*"]);
  });

  it("creates a role per deployment and function, trusted by Lambda alone, granted its own actions on its table, its stream when it reads it, and its logs", () => {
    expect(tf.resource.aws_iam_role.function[0]).toMatchObject({ for_each: "${local.function_roles}", name: "${each.value.function_name}" });
    const roles = String(tf.locals.find((l: Hcl) => l.function_roles).function_roles);
    expect(roles).toContain("for deployment, d in var.deployments");
    expect(roles).toContain('for name, f in var.functions : "${deployment}/${name}"');
    expect(roles).toContain('function_name = "${deployment}-${name}"');
    expect(tf.resource.aws_iam_role.function[0].assume_role_policy).toBe("${data.aws_iam_policy_document.lambda_trust.json}");
    const [trust] = tf.data.aws_iam_policy_document.lambda_trust[0].statement;
    expect(trust).toEqual({ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] });

    const [document] = tf.data.aws_iam_policy_document.function;
    const conditional = (document.dynamic.statement as Hcl[]).map((d) => ({ when: d.for_each, ...d.content[0] }));
    expect(conditional).toEqual([
      {
        when: "${length(each.value.table_actions) > 0 ? [1] : []}",
        sid: "TableData",
        actions: "${each.value.table_actions}",
        resources: ["${each.value.table_arn}", "${each.value.table_arn}/index/*"],
      },
      {
        when: "${each.value.stream ? [1] : []}",
        sid: "ReadTheTableStream",
        actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        resources: ["${each.value.table_arn}/stream/*"],
      },
      // ListStreams takes no resource-level permission: "*" is the only resource AWS accepts for it, and it lists names only.
      { when: "${each.value.stream ? [1] : []}", sid: "ListStreams", actions: ["dynamodb:ListStreams"], resources: ["*"] },
      {
        when: "${each.value.stream ? [1] : []}",
        sid: "SendFailedBatches",
        actions: ["sqs:SendMessage"],
        resources: ["arn:aws:sqs:${each.value.region}:${local.account_id}:${each.value.function_name}-failures"],
      },
      // The HTTP function's cursor secret, and no other parameter: only this role may read it.
      {
        when: "${each.value.http ? [1] : []}",
        sid: "ReadTheCursorSecret",
        actions: ["ssm:GetParameter"],
        resources: ["arn:aws:ssm:${each.value.region}:${local.account_id}:parameter/${each.value.function_name}/cursor-secret"],
      },
    ]);
    expect(roles).toContain('table_arn     = "arn:aws:dynamodb:${d.region}:${local.account_id}:table/${d.table_name}"');
    // The variable takes data-plane actions only: no wildcard, no table management (migrations belong to the pre-step).
    const condition = String(tf.variable.functions[0].validation[0].condition);
    const pattern = new RegExp(/regex\("([^"]+)"/.exec(condition)![1]!);
    expect(["dynamodb:GetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"].every((a) => pattern.test(a))).toBe(true);
    const refused = ["dynamodb:*", "dynamodb:Get*", "dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "s3:GetObject"];
    expect(refused.filter((a) => pattern.test(a))).toEqual([]);
    expect(refused.filter((a) => TABLE_ACTIONS.test(a))).toEqual(["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable"]);
    expect(document.statement).toEqual([
      {
        sid: "OwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: ["arn:aws:logs:${each.value.region}:${local.account_id}:log-group:/aws/lambda/${each.value.function_name}:*"],
      },
    ]);
    expect(tf.resource.aws_iam_role_policy.function[0]).toMatchObject({
      role: "${aws_iam_role.function[each.key].id}",
      policy: "${data.aws_iam_policy_document.function[each.key].json}",
    });
  });

  it("lets CodeDeploy, EventBridge Scheduler and Step Functions assume a role of ours only for this account", () => {
    const [trust] = tf.data.aws_iam_policy_document.service_trust;
    expect(trust.for_each).toBe('${toset(["codedeploy", "scheduler", "states"])}');
    expect(trust.statement).toEqual([
      {
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["${each.key}.amazonaws.com"] }],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: ["${local.account_id}"] }],
      },
    ]);
  });

  it("gives each scheduled function a role of its own for EventBridge Scheduler: this account's scheduler only, invoking that one function", () => {
    expect(tf.resource.aws_iam_role.scheduler[0]).toMatchObject({ for_each: "${local.scheduled_roles}", name: "${each.value.function_name}-scheduler" });
    expect(tf.resource.aws_iam_role.scheduler[0].assume_role_policy).toBe('${data.aws_iam_policy_document.service_trust["scheduler"].json}');
    expect(tf.data.aws_iam_policy_document.scheduler[0].statement).toEqual([
      {
        sid: "InvokeTheJob",
        actions: ["lambda:InvokeFunction"],
        // The live alias: the version CodeDeploy released.
        resources: ["arn:aws:lambda:${each.value.region}:${local.account_id}:function:${each.value.function_name}:live"],
      },
    ]);
  });

  it("gives X-Ray's two calls, and nothing else, only to the functions of deployments with tracing", () => {
    const [tracing] = tf.resource.aws_iam_role_policy.tracing;
    expect(tracing.for_each).toBe("${{ for key, f in local.function_roles : key => f if var.deployments[f.deployment].tracing }}");
    // X-Ray's PutTraceSegments and PutTelemetryRecords take no resource but "*": those two actions, nothing else.
    expect(tf.data.aws_iam_policy_document.tracing[0].statement).toEqual([
      { sid: "SendTraces", actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resources: ["*"] },
    ]);
  });

  it("creates each deployment's HTTP API, with CORS only for the origins it names, so each deploy role can name its own", () => {
    const [api] = tf.resource.aws_apigatewayv2_api.function;
    expect(api).toMatchObject({ for_each: "${var.deployments}", name: "${each.value.function_name}", protocol_type: "HTTP" });
    const [cors] = api.dynamic.cors_configuration;
    expect(cors.for_each).toBe("${length(each.value.cors_allow_origins) > 0 ? [1] : []}");
    expect(cors.content[0].allow_origins).toBe("${each.value.cors_allow_origins}");
    const locals = Object.assign({}, ...(tf.locals as Hcl[]));
    expect(locals.policy_vars).toContain("api_id       = aws_apigatewayv2_api.function[name].id");
  });

  it("encrypts the state with a key of its own whose policy names only the bootstrap admin, a break-glass role and the pipeline roles", () => {
    expect(tf.resource.aws_kms_key.state[0]).toMatchObject({ enable_key_rotation: true, policy: "${data.aws_iam_policy_document.state_key.json}" });
    const statements = tf.data.aws_iam_policy_document.state_key[0].statement as Hcl[];
    expect(statements.map((s) => [s.sid, s.principals])).toEqual([
      [
        "AdminAndBreakGlassManageTheKey",
        [{ type: "AWS", identifiers: ["${data.aws_iam_session_context.admin.issuer_arn}", "${var.state_key_break_glass_arn}"] }],
      ],
      ["DeployRolesReadAndWriteState", [{ type: "AWS", identifiers: '${[for name, _ in var.deployments : aws_iam_role.github["${name}-deploy"].arn]}' }]],
      ["PlanRolesReadState", [{ type: "AWS", identifiers: '${[for name, _ in var.deployments : aws_iam_role.github["${name}-plan"].arn]}' }]],
    ]);
    expect(statements[2]!.actions).toEqual(["kms:Decrypt"]);
    expect(JSON.stringify(statements)).not.toContain(":root");
  });

  it("makes a user pool whose tokens' email can be trusted when verified: a change needs the new address's code, and the app client cannot write it", () => {
    const [pool] = tf.resource.aws_cognito_user_pool.users;
    expect(pool.user_attribute_update_settings).toEqual([{ attributes_require_verification_before_update: ["email"] }]);
    expect(pool.admin_create_user_config).toEqual([{ allow_admin_create_user_only: true }]);
    const [client] = tf.resource.aws_cognito_user_pool_client.api;
    expect(client.write_attributes).toEqual(["name"]);
    expect(client.read_attributes).toEqual(expect.arrayContaining(["email", "email_verified"]));
  });

  it("registers GitHub's OIDC provider for STS, or uses the account's existing one", () => {
    expect(tf.resource.aws_iam_openid_connect_provider.github[0]).toMatchObject({
      count: '${var.github_oidc_provider_arn == "" ? 1 : 0}',
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    });
  });

  it("lets a deploy role be assumed only by the deploy workflow, from its deployment's branches, in its environment; a plan role by the pull request workflow where allowed", () => {
    const locals = Object.assign({}, ...(tf.locals as Hcl[]));
    const [trust] = tf.data.aws_iam_policy_document.github_trust;
    expect(trust.for_each).toBe("${local.roles}");
    const [statement, ...others] = trust.statement as Hcl[];
    expect(others).toEqual([]);
    expect(statement!.effect ?? "Allow").toBe("Allow");
    expect(statement!.actions).toEqual(["sts:AssumeRoleWithWebIdentity"]);
    expect(statement!.principals).toEqual([{ type: "Federated", identifiers: ["${local.github_oidc_provider_arn}"] }]);
    const conditions = Object.fromEntries((statement!.condition as Hcl[]).map((c) => [c.variable, c]));
    expect(conditions["token.actions.githubusercontent.com:aud"]).toMatchObject({ test: "StringEquals", values: ["sts.amazonaws.com"] });
    expect(conditions["token.actions.githubusercontent.com:sub"]).toMatchObject({ test: "StringLike", values: "${each.value.subjects}" });
    expect(locals.roles).toMatch(/"\$\{name\}-deploy" => \{[^}]*subjects\s+= local\.deploy_subjects\[name\]/);
    expect(locals.roles).toMatch(/"\$\{name\}-plan" => \{[^}]*subjects\s+= local\.plan_subjects\[name\]/);
    // The customised subject (repo, context, job_workflow_ref): the workflow file and the ref it runs from, never a wildcard.
    expect(locals.workflow_ref).toContain('"@refs/heads/${branch}"');
    expect(locals.deploy_subjects).toContain(
      '"repo:${var.github_repository}:environment:${name}:job_workflow_ref:${var.github_repository}/${var.deploy_workflow}${ref}"',
    );
    const literals = (expression: unknown) => [...String(expression).matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    expect(literals(locals.deploy_subjects).filter((subject) => /[*?]/.test(subject))).toEqual([]);
    // A pull request's ref carries its number: the one wildcard, in the plan role of a deployment that lets pull requests plan.
    expect(locals.plan_subjects).toContain(
      '"repo:${var.github_repository}:pull_request:job_workflow_ref:${var.github_repository}/${var.pull_request_workflow}@refs/pull/*/merge"',
    );
    expect(literals(locals.plan_subjects).join("").match(/[*?]/g)).toEqual(["*"]);
    expect(locals.plan_subjects).toContain("] : local.deploy_subjects[name]");
  });

  it("gives a deployment with point-in-time recovery a drill role: the drill workflow on its deploy branches only, restoring its table into <table>-drill-* tables and touching nothing else", async () => {
    const locals = Object.assign({}, ...(tf.locals as Hcl[]));
    expect(locals.roles).toMatch(
      /"\$\{name\}-drill" => \{\s*deployment\s+= name\s*policy_file\s+= "restore-drill-policy\.json"\s*subjects\s+= local\.drill_subjects\[name\]/,
    );
    expect(locals.roles).toContain("} if d.protected");
    expect(locals.drill_subjects).toContain(
      '"repo:${var.github_repository}:ref:refs/heads/${branch}:job_workflow_ref:${var.github_repository}/${var.restore_drill_workflow}@refs/heads/${branch}"',
    );
    expect(String(locals.drill_subjects)).not.toMatch(/[*?]/);
    // No per-function policies: the drill deploys nothing.
    expect(locals.github_function_policies).toContain('if r.policy_file != "restore-drill-policy.json"');
    const policy = JSON.parse(readFileSync(join(TEMPLATE_ROOT, "scripts/terraform/bootstrap/policies/restore-drill-policy.json"), "utf8")) as {
      Statement: { Sid: string; Action: string[]; Resource: string | string[] }[];
    };
    const [sourceTable, scratch] = policy.Statement;
    expect(sourceTable!.Resource).toBe("arn:aws:dynamodb:${region}:${account_id}:table/${table_name}");
    // On the table itself, only what reads it and starts a restore: no write, no delete, no change to its backups.
    expect(sourceTable!.Action.sort()).toEqual([
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:RestoreTableToPointInTime",
      "dynamodb:Scan",
    ]);
    expect([scratch!.Resource].flat().every((r) => r.includes(":table/${table_name}-drill-"))).toBe(true);
    expect(scratch!.Action).toContain("dynamodb:DeleteTable");
    expect(policy.Statement.flatMap((s) => s.Action).filter((a) => a.includes("*"))).toEqual([]);
    const workflow = readFileSync(join(TEMPLATE_ROOT, RESTORE_DRILL_WORKFLOW), "utf8");
    expect(workflow).toContain("make restore-drill DEPLOYMENT=");
    expect(workflow).not.toMatch(/^\s*environment:/m);
  });

  it("names workflow files that exist, and that run deploys and plans in the deployment's environment", () => {
    const root = TEMPLATE_ROOT;
    const deploy = readFileSync(join(root, DEPLOY_WORKFLOW), "utf8");
    expect(deploy).toContain("environment: ${{ inputs.deployment }}");
    expect(deploy).toContain("make deploy DEPLOYMENT=");
    expect(readFileSync(join(root, PULL_REQUEST_WORKFLOW), "utf8")).toContain("make plan DEPLOYMENT=dev");
  });

  it("tells each deployment's guard topic when anyone turns off its table's point-in-time recovery or deletion protection", () => {
    const [rule] = tf.resource.aws_cloudwatch_event_rule.table_protection_off;
    expect(rule).toMatchObject({ for_each: "${var.deployments}", region: "${each.value.region}" });
    const pattern = String(rule.event_pattern);
    for (const part of [
      'source        = ["aws.dynamodb"]',
      '"detail-type" = ["AWS API Call via CloudTrail"]',
      'eventName         = ["UpdateContinuousBackups"]',
      "pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled = [false] }",
      'eventName         = ["UpdateTable"]',
      "deletionProtectionEnabled = [false]",
      "tableName = local.guarded_tables[each.key]",
    ]) {
      expect(pattern).toContain(part);
    }
    const locals = Object.assign({}, ...(tf.locals as Hcl[]));
    expect(locals.guarded_tables).toContain('"arn:aws:dynamodb:${d.region}:${local.account_id}:table/${d.table_name}"');
    expect(tf.resource.aws_cloudwatch_event_target.table_protection_off[0]).toMatchObject({
      rule: "${aws_cloudwatch_event_rule.table_protection_off[each.key].name}",
      arn: "${aws_sns_topic.table_guard[each.key].arn}",
    });
    // Only that rule may publish to the topic.
    const [publish] = tf.data.aws_iam_policy_document.table_guard[0].statement;
    expect(publish).toMatchObject({
      actions: ["sns:Publish"],
      principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
      condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: ["${aws_cloudwatch_event_rule.table_protection_off[each.key].arn}"] }],
    });
  });

  it("keeps the deploy policy's Unprotected* statements from deployments whose table declares point-in-time recovery", () => {
    const locals = Object.assign({}, ...(tf.locals as Hcl[]));
    expect(locals.github_policies).toContain('if !startswith(statement.Sid, "Unprotected") || !var.deployments[r.deployment].protected');
    expect(tf.resource.aws_iam_policy.github[0].policy).toBe("${jsonencode(local.github_policies[each.key])}");
  });

  it("grants nothing to a wildcard principal, and lets only the state's TLS rule deny everyone", () => {
    const statements = policyDocumentStatements(tf);
    const wildcard = statements.filter(({ statement }) => JSON.stringify(statement.principals ?? []).includes('"*"'));
    expect(wildcard.map(({ document, statement }) => [document, statement.effect])).toEqual([["state_tls_only", "Deny"]]);
  });

  it("renders the deployer and planner policies from policies/*.json with templatefile, every placeholder given a value", () => {
    const locals = Object.assign({}, ...(tf.locals as Hcl[]));
    expect(locals.github_policies).toContain('jsondecode(templatefile("${path.module}/policies/${r.policy_file}", local.policy_vars[r.deployment])).Statement');
    expect(locals.roles).toMatch(/-deploy" => \{[^}]*policy_file = "deployer-policy.json"/);
    expect(locals.roles).toMatch(/-plan" => \{[^}]*policy_file = "planner-policy.json"/);
    const given = [...String(locals.policy_vars).matchAll(/^\s+(\w+)\s+=/gm)].map((m) => m[1]!).sort();
    expect(given).toEqual(["account_id", "api_id", "api_name", "region", "state_bucket", "state_key", "state_key_id", "table_name"]);
    expect(placeholdersOf("deployer-policy.json")).toEqual(given);
    expect(placeholdersOf("planner-policy.json")).toEqual(given);
    expect(tf.resource.aws_iam_role_policy_attachment.github[0]).toEqual({
      for_each: "${local.roles}",
      role: "${aws_iam_role.github[each.key].name}",
      policy_arn: "${aws_iam_policy.github[each.key].arn}",
    });
    expect(tf.resource.aws_iam_role.github[0]).toMatchObject({
      for_each: "${local.roles}",
      name: "${each.key}",
      assume_role_policy: "${data.aws_iam_policy_document.github_trust[each.key].json}",
    });
    expect(tf.output.deploy_role_arns[0].value).toContain('aws_iam_role.github["${name}-deploy"].arn');
    expect(tf.output.plan_role_arns[0].value).toContain('aws_iam_role.github["${name}-plan"].arn');
  });
});

describe("CodeDeploy's roles (releases.tf)", () => {
  it("give CodeDeploy, in this account only, a role per function that moves that function's aliases and reads its alarms, nothing else", () => {
    expect(tf.resource.aws_iam_role.codedeploy[0].assume_role_policy).toBe('${data.aws_iam_policy_document.service_trust["codedeploy"].json}');
    expect(tf.resource.aws_iam_role.codedeploy[0]).toMatchObject({ for_each: "${local.function_roles}", name: "${each.value.function_name}-codedeploy" });
    const statements = tf.data.aws_iam_policy_document.codedeploy[0].statement as Hcl[];
    expect(statements.map((s) => [s.sid, s.actions])).toEqual([
      ["ShiftTheLiveAlias", ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]],
      ["ReadTheAlarmsThatStopAShift", ["cloudwatch:DescribeAlarms"]],
    ]);
    for (const s of statements) for (const r of s.resources as string[]) expect(r).toContain(":${each.value.function_name}");
  });
});

describe("make bootstrap's variables", () => {
  const deploymentsFile = (content: object) => {
    const file = join(mkdtempSync(join(tmpdir(), "bootstrap-")), "deployments.json");
    writeFileSync(file, JSON.stringify(content));
    return file;
  };
  const auth = { issuer: "https://issuer.example.com/", audiences: ["api"] };
  const bootstrap = { breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass" };
  const deployment = (bucket: string, key: string) => ({ region: "eu-west-1", tableName: `t-${key.replace(/\W/g, "") || "x"}`, state: { bucket, key }, auth });

  it("come from the deployments file and the git remote, and set every variable the bootstrap declares", async () => {
    const vars = bootstrapVars(FIXTURE.deploymentsFile, () => "git@github.com:acme/orders-service.git\n", FUNCTIONS);
    expect(vars).toEqual({
      region: "us-east-2",
      state_bucket: "tickets-inc-tf-state",
      // The file names the repository, so the git remote is not asked.
      github_repository: "tickets-inc/box-office",
      github_oidc_provider_arn: "",
      deploy_workflow: ".github/workflows/deploy.yml",
      pull_request_workflow: ".github/workflows/pull-request.yml",
      restore_drill_workflow: ".github/workflows/restore-drill.yml",
      state_key_break_glass_arn: "arn:aws:iam::210987654321:role/break-glass",
      // Each function's, from its handler module's config.
      functions: Object.fromEntries(
        FUNCTIONS.map((f) => [
          f.name,
          {
            table_actions: f.config.dynamodbActions.map((a) => `dynamodb:${a}`),
            http: f.kind === "http",
            stream: f.kind === "stream",
            schedule: f.kind === "schedule",
          },
        ]),
      ),
      deployments: {
        staging: {
          region: "us-east-2",
          table_name: "box-office-staging",
          state_key: "box-office/staging.tfstate",
          function_name: "staging-http",
          tracing: false,
          plan_from_pull_requests: false,
          create_user_pool: false,
          cors_allow_origins: [],
          deploy_branches: ["release"],
          protected: true,
          alarm_email: "",
        },
      },
    });
    // Every variable set, so terraform never stops to ask for one.
    expect(Object.keys(vars).sort()).toEqual(Object.keys(tf.variable).sort());
  });

  it("prefer the repository named in the file, and refuse when there is none, several state buckets, or no break-glass role", () => {
    const github = { repository: "acme/api", oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" };
    const dev = { ...deployment("b-1", "dev"), github: { deployBranches: ["main", "release"] } };
    const named = deploymentsFile({ github, bootstrap, deployments: { dev } });
    expect(bootstrapVars(named, () => undefined)).toMatchObject({
      github_repository: "acme/api",
      github_oidc_provider_arn: github.oidcProviderArn,
      deployments: { dev: { deploy_branches: ["main", "release"], protected: false } },
    });
    const unnamed = deploymentsFile({ bootstrap, deployments: { dev: deployment("b-1", "dev") } });
    expect(() => bootstrapVars(unnamed, () => "https://gitlab.com/acme/api.git")).toThrow('Add "github": { "repository": "owner/name" }');
    const two = deploymentsFile({ bootstrap, deployments: { dev: deployment("b-1", "dev"), prod: deployment("b-2", "prod") } });
    expect(() => bootstrapVars(two, () => "https://github.com/acme/api")).toThrow("make bootstrap creates one state bucket, but");
    const noBreakGlass = deploymentsFile({ github, deployments: { dev: deployment("b-1", "dev") } });
    expect(() => bootstrapVars(noBreakGlass, () => undefined)).toThrow("name a break-glass role in");
  });

  it("refuse a state key that could reach another deployment's state, and deploy branches with wildcards", () => {
    for (const key of ["svc/*.tfstate", "svc/../prod.tfstate", "/svc/dev.tfstate", "svc//dev.tfstate", "svc/dev?.tfstate", ""]) {
      const file = deploymentsFile({ bootstrap, deployments: { dev: deployment("b-1", key) } });
      expect(() => bootstrapVars(file, () => "https://github.com/acme/api")).toThrow(/state\.key/);
    }
    const wild = deploymentsFile({ bootstrap, deployments: { dev: { ...deployment("b-1", "dev"), github: { deployBranches: ["release/*"] } } } });
    expect(() => bootstrapVars(wild, () => "https://github.com/acme/api")).toThrow(/deployBranches/);
    const old = deploymentsFile({ github: { repository: "acme/api", deployBranches: ["main"] }, bootstrap, deployments: { dev: deployment("b-1", "dev") } });
    expect(() => bootstrapVars(old, () => undefined)).toThrow("github.deployBranches moved into each deployment");
  });

  it("read owner/name from https and ssh remotes of github.com only", () => {
    expect(repositoryOf("https://github.com/acme/api.git")).toBe("acme/api");
    expect(repositoryOf("https://github.com/acme/api")).toBe("acme/api");
    expect(repositoryOf("git@github.com:acme/my.api.git\n")).toBe("acme/my.api");
    expect(repositoryOf("ssh://git@github.com/acme/api.git")).toBe("acme/api");
    expect(repositoryOf("https://gitlab.com/acme/api.git")).toBeUndefined();
    expect(repositoryOf(undefined)).toBeUndefined();
  });
});

describe("make bootstrap", () => {
  const file = () => {
    const path = join(mkdtempSync(join(tmpdir(), "bootstrap-cli-")), "deployments.json");
    const dev = {
      region: "eu-west-1",
      tableName: "t-dev",
      state: { bucket: "acme-tf-state", key: "dev.tfstate" },
      auth: { issuer: "https://issuer.example.com/", audiences: ["api"] },
    };
    writeFileSync(
      path,
      JSON.stringify({ github: { repository: "acme/api" }, bootstrap: { breakGlassRoleArn: "arn:aws:iam::123456789012:role/admin" }, deployments: { dev } }),
    );
    return path;
  };
  const run = async () => {
    const lines: string[] = [];
    const error = await main([], (line) => lines.push(line), FIXTURE, { file: file() }).then(
      () => undefined,
      (e: Error) => e,
    );
    return { lines, error };
  };

  it(
    "stops before any AWS call or terraform run when terraform is missing",
    withEnv({ PATH: "/nonexistent" }, async () => {
      const { lines, error } = await run();
      expect(error?.name).toBe("TerraformError");
      expect(error?.message).toContain("terraform was not found on PATH");
      expect(lines).toEqual(["bootstrap: state bucket acme-tf-state in eu-west-1; roles for dev, assumable from acme/api"]);
    }),
  );

  it(
    "stops before touching AWS when there are no credentials",
    withEnv(NO_AWS_CREDENTIALS, async () => {
      const terraformFound = terraformOnPath();
      const { lines, error } = await run();
      expect(error?.message).toContain(terraformFound ? "no AWS credentials found for region eu-west-1" : "terraform was not found");
      expect(lines.some((l) => l.includes("state bucket acme-tf-state does not exist") || l.includes("AWS credentials found"))).toBe(false);
    }),
  );
});
