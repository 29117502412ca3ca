import { execFileSync, spawnSync } from "node:child_process";
import { NODE_TARGET } from "../../src/build";
import { SERVICE_DIR, interpolations, loadInfra, unresolvedReferences, type Hcl } from "../support/terraform";

let files: Record<string, Hcl>;
let tf: Hcl;
beforeAll(async () => {
  ({ files, merged: tf } = await loadInfra());
});

describe("infra/ (parsed with the HCL parser)", () => {
  it("keeps one concern per file", () => {
    expect(Object.keys(files)).toEqual([
      "alarms.tf",
      "api.tf",
      "backend.tf",
      "backfills.tf",
      "dashboard.tf",
      "iam.tf",
      "lambda.tf",
      "main.tf",
      "outputs.tf",
      "providers.tf",
      "releases.tf",
      "schedules.tf",
      "streams.tf",
      "variables.tf",
      "versions.tf",
    ]);
  });

  it("resolves every reference to a declared variable, local, data source or resource", () => {
    const { total, unresolved } = unresolvedReferences(tf);
    expect(total).toBeGreaterThan(40);
    expect(unresolved).toEqual([]);
  });

  it("reaches the table only through data.aws_dynamodb_table.main, named by var.table_name", () => {
    expect(tf.resource?.aws_dynamodb_table).toBeUndefined();
    expect(Object.keys(tf.data.aws_dynamodb_table)).toEqual(["main"]);
    expect(tf.data.aws_dynamodb_table.main[0].name).toBe("${var.table_name}");
    const tableRefs = interpolations(tf).flatMap(({ expression }) => [...expression.matchAll(/[\w.]*aws_dynamodb_table\.\w+/g)].map((m) => m[0]));
    expect(tableRefs.length).toBeGreaterThan(5);
    expect([...new Set(tableRefs)]).toEqual(["data.aws_dynamodb_table.main"]);
  });

  it("documents and types every variable, and describes every output", () => {
    for (const [name, [variable]] of Object.entries(tf.variable) as [string, Record<string, unknown>[]][]) {
      expect({ name, description: typeof variable!.description, type: typeof variable!.type }).toEqual({ name, description: "string", type: "string" });
    }
    expect(Object.keys(tf.output).sort()).toEqual([
      "alarm_topic_arn",
      "api_url",
      "backfill_state_machine_arn",
      "dashboard_url",
      "function_name",
      "functions",
      "releases",
      "stream_failure_queues",
      "table_arn",
      "table_stream_arn",
    ]);
    for (const [name, [output]] of Object.entries(tf.output) as [string, Record<string, unknown>[]][]) {
      expect({ name, description: typeof output!.description }).toEqual({ name, description: "string" });
    }
  });

  it("pins Terraform >= 1.10 and the AWS provider, and locks S3 state with a lock file", () => {
    const [terraform] = files["versions.tf"]!.terraform;
    expect(terraform.required_version).toMatch(/>= 1\.1\d/);
    expect(terraform.required_providers[0].aws).toEqual({ source: "hashicorp/aws", version: expect.stringMatching(/^~> \d+\.\d+$/) });
    expect(Object.keys(terraform.required_providers[0])).toEqual(["aws"]); // no random: no secret is made, or kept, in the state
    expect(files["backend.tf"]!.terraform[0].backend.s3[0]).toMatchObject({ use_lockfile: true, encrypt: true });
    expect(files["providers.tf"]!.provider.aws[0].default_tags[0].tags).toContain("var.tags");
  });

  it("makes one function per entry of var.functions, each from its prebuilt zip on the runtime the bundle targets", () => {
    const [fn] = tf.resource.aws_lambda_function.function;
    // The service's functions, and the backfill worker (backfills.tf).
    expect(Object.keys(tf.resource.aws_lambda_function)).toEqual(["backfill_worker", "function"]);
    expect(fn.for_each).toBe("${var.functions}");
    expect(fn.function_name).toBe("${local.function_names[each.key]}");
    expect(fn.runtime).toBe(`nodejs${NODE_TARGET.replace("node", "")}.x`);
    expect(fn.architectures).toEqual(["arm64"]);
    expect(fn.handler).toBe("index.handler");
    expect(fn.filename).toBe("${each.value.zip}");
    expect(fn.source_code_hash).toBe("${filebase64sha256(each.value.zip)}");
    expect(fn.environment[0].variables).toContain("TABLE_NAME = data.aws_dynamodb_table.main.name");
    // The cursor secret's parameter by name, never its value: neither the environment nor the state holds it.
    expect(fn.environment[0].variables).toContain("each.value.http ? { CURSOR_SECRET_PARAMETER = local.cursor_secret_parameter } : {}");
    expect(tf.locals.find((l: Record<string, unknown>) => l.cursor_secret_parameter)?.cursor_secret_parameter).toBe("/${var.function_name}/cursor-secret");
    expect(JSON.stringify(tf)).not.toMatch(/random_password|aws_ssm_parameter/);
    expect(fn.memory_size).toBe("${each.value.memory_mb}");
    expect(fn.timeout).toBe("${each.value.timeout_seconds}");
    expect(tf.locals.find((l: Record<string, unknown>) => l.function_names)?.function_names).toBe(
      '${{ for name, _ in var.functions : name => "${var.deployment}-${name}" }}',
    );
    // Deployments made when there was one function keep it and its log group.
    expect(tf.moved).toEqual(
      expect.arrayContaining([
        { from: "${aws_lambda_function.api}", to: '${aws_lambda_function.function["api"]}' },
        { from: "${aws_cloudwatch_log_group.api}", to: '${aws_cloudwatch_log_group.function["api"]}' },
      ]),
    );
  });

  it("creates each function's log group with retention before the function, and logs there", () => {
    const [group] = tf.resource.aws_cloudwatch_log_group.function;
    const [fn] = tf.resource.aws_lambda_function.function;
    expect(group.for_each).toBe("${var.functions}");
    expect(group.retention_in_days).toBe("${var.log_retention_days}");
    expect(group.name).toBe("/aws/lambda/${local.function_names[each.key]}");
    expect(fn.depends_on).toContain("${aws_cloudwatch_log_group.function}");
    expect(fn.logging_config[0].log_group).toBe("${aws_cloudwatch_log_group.function[each.key].name}");
  });

  it("manages no IAM: each function's role (and each schedule's) comes from scripts/terraform/bootstrap, read by name and passed on", () => {
    for (const type of ["aws_iam_role", "aws_iam_role_policy", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment"]) {
      expect({ type, resources: tf.resource[type] }).toEqual({ type, resources: undefined });
    }
    expect(tf.data.aws_iam_role.function[0]).toEqual({ for_each: "${var.functions}", name: "${local.function_names[each.key]}" });
    expect(tf.data.aws_iam_role.scheduler[0]).toEqual({ for_each: "${local.scheduled_functions}", name: "${local.function_names[each.key]}-scheduler" });
    expect(tf.resource.aws_lambda_function.function[0].role).toBe("${data.aws_iam_role.function[each.key].arn}");
    expect(JSON.stringify(tf)).not.toMatch(/AdministratorAccess|FullAccess|PowerUser/);
  });

  it("reads the table's stream with one mapping per stream function: partial batch failures, bisect, bounded retries and age, a failure queue with its alarm", () => {
    const [mapping] = tf.resource.aws_lambda_event_source_mapping.stream;
    expect(mapping).toMatchObject({
      for_each: "${local.stream_functions}",
      event_source_arn: "${data.aws_dynamodb_table.main.stream_arn}",
      function_name: "${aws_lambda_alias.live[each.key].arn}",
      starting_position: "TRIM_HORIZON",
      batch_size: "${each.value.batch_size}",
      function_response_types: ["ReportBatchItemFailures"],
      bisect_batch_on_function_error: true,
      maximum_retry_attempts: "${each.value.maximum_retry_attempts}",
      maximum_record_age_in_seconds: "${each.value.maximum_record_age_in_seconds}",
      destination_config: [{ on_failure: [{ destination_arn: "${aws_sqs_queue.stream_failures[each.key].arn}" }] }],
    });
    expect(mapping.lifecycle[0].precondition[0].condition).toContain('stream_view_type == "NEW_AND_OLD_IMAGES"');
    expect(tf.locals.find((l: Record<string, unknown>) => l.stream_functions)?.stream_functions).toBe(
      "${{ for name, f in var.functions : name => f.stream if f.stream != null }}",
    );
    expect(tf.resource.aws_sqs_queue.stream_failures[0]).toMatchObject({ for_each: "${local.stream_functions}", sqs_managed_sse_enabled: true });
    const [depth] = tf.resource.aws_cloudwatch_metric_alarm.stream_failures;
    expect(depth).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "${aws_sqs_queue.stream_failures[each.key].name}" },
      threshold: 1,
    });
    // Retries must be bounded: -1 (forever) would hold a shard up for the stream's whole 24 hours.
    const [streamType] = tf.variable.functions[0].type.match(/stream = optional\(object\(\{[^}]*\}\)\)/s) ?? [""];
    expect(streamType).toContain("maximum_retry_attempts");
    expect(tf.variable.functions[0].validation.map((v: { error_message: string }) => v.error_message).join(" ")).toContain("bounded: never -1");
  });

  it("runs each scheduled function from an EventBridge Scheduler schedule, with the scheduler's own role", () => {
    expect(tf.resource.aws_scheduler_schedule.function[0]).toMatchObject({
      for_each: "${local.scheduled_functions}",
      schedule_expression: "${each.value.expression}",
      schedule_expression_timezone: "${each.value.timezone}",
      flexible_time_window: [{ mode: "OFF" }],
      target: [{ arn: "${aws_lambda_alias.live[each.key].arn}", role_arn: "${data.aws_iam_role.scheduler[each.key].arn}" }],
    });
  });

  it("routes the app's routes (and $default for the rest) to the function with payload format 2.0, behind the JWT authorizer unless public", () => {
    // The API is the bootstrap's, found by name; everything under it is managed here.
    expect(tf.resource.aws_apigatewayv2_api).toBeUndefined();
    expect(tf.data.aws_apigatewayv2_apis.named[0]).toMatchObject({ name: "${var.function_name}", protocol_type: "HTTP" });
    expect(tf.data.aws_apigatewayv2_api.api[0].api_id).toBe("${one(data.aws_apigatewayv2_apis.named.ids)}");
    expect(tf.data.aws_apigatewayv2_api.api[0].lifecycle[0].precondition[0].error_message).toContain("make bootstrap");
    expect(tf.removed).toEqual([{ from: "${aws_apigatewayv2_api.api}", lifecycle: [{ destroy: false }] }]); // older deployments keep theirs
    expect(tf.resource.aws_apigatewayv2_integration.api[0]).toMatchObject({
      integration_type: "AWS_PROXY",
      integration_uri: "${aws_lambda_alias.live[local.http_function].invoke_arn}",
      payload_format_version: "2.0",
    });
    const [route] = tf.resource.aws_apigatewayv2_route.app;
    expect(route).toMatchObject({
      for_each: '${merge({ "$default" = { public = false, scopes = [] } }, var.routes)}',
      route_key: "${each.key}",
      target: "integrations/${aws_apigatewayv2_integration.api.id}",
      authorization_type: '${each.value.public ? "NONE" : "JWT"}',
      authorizer_id: "${each.value.public ? null : aws_apigatewayv2_authorizer.jwt.id}",
      authorization_scopes: "${each.value.public || length(each.value.scopes) == 0 ? null : each.value.scopes}",
    });
    expect(tf.resource.aws_apigatewayv2_route.default).toBeUndefined();
    expect(tf.moved).toEqual(expect.arrayContaining([{ from: "${aws_apigatewayv2_route.default}", to: '${aws_apigatewayv2_route.app["$default"]}' }]));
    expect(tf.resource.aws_apigatewayv2_authorizer.jwt[0]).toMatchObject({
      authorizer_type: "JWT",
      identity_sources: ["$request.header.Authorization"],
      jwt_configuration: [{ issuer: "${var.jwt_issuer}", audience: "${var.jwt_audiences}" }],
    });
    expect(tf.resource.aws_apigatewayv2_stage.default[0]).toMatchObject({ name: "$default", auto_deploy: true });
    expect(tf.resource.aws_lambda_permission.api[0]).toMatchObject({
      principal: "apigateway.amazonaws.com",
      source_arn: "${data.aws_apigatewayv2_api.api.execution_arn}/*/*",
    });
  });
});

describe("limits and records (scripts/terraform/service/api.tf, scripts/terraform/service/lambda.tf)", () => {
  it("throttles the stage's routes, and reserves (and caps) the HTTP function's concurrency, from the deployment", () => {
    const [stage] = tf.resource.aws_apigatewayv2_stage.default;
    expect(stage.default_route_settings[0]).toEqual({
      throttling_burst_limit: "${var.api_throttling.burst_limit}",
      throttling_rate_limit: "${var.api_throttling.rate_limit}",
    });
    expect(tf.variable.api_throttling[0].type).toContain("burst_limit = number");
    expect(tf.resource.aws_lambda_function.function[0].reserved_concurrent_executions).toBe("${each.value.http ? var.lambda_reserved_concurrency : -1}");
    // Defaults live once, in scripts/src/deployments.ts: the var file always sets these.
    for (const name of ["functions", "log_retention_days", "lambda_reserved_concurrency", "api_throttling"]) {
      expect({ name, default: tf.variable[name][0].default }).toEqual({ name, default: undefined });
    }
  });

  it("logs every request to an access log with retention: ids, route, status, latency, caller and source, never a body or a token", () => {
    const [stage] = tf.resource.aws_apigatewayv2_stage.default;
    const [settings] = stage.access_log_settings;
    expect(settings.destination_arn).toBe("${aws_cloudwatch_log_group.access.arn}");
    const format = String(settings.format);
    for (const variable of [
      "$context.requestId",
      "$context.routeKey",
      "$context.status",
      "$context.responseLatency",
      "$context.authorizer.claims.sub",
      "$context.identity.sourceIp",
    ]) {
      expect(format).toContain(variable);
    }
    expect(format).not.toMatch(/body|header|authorization|token/i);
    expect(tf.resource.aws_cloudwatch_log_group.access[0]).toEqual({
      name: "/aws/apigateway/${var.function_name}-access",
      retention_in_days: "${var.log_retention_days}",
    });
  });
});

describe("terraform CLI checks", () => {
  const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
  const available = terraform.status === 0;
  if (!available) {
    it("are skipped: no terraform binary on PATH (the HCL checks above still ran; validate and test: terraformTests.test.ts)", () => {
      console.log("skipped: no terraform binary on PATH; `terraform fmt -check` did not run");
      expect(terraform.status).not.toBe(0);
    });
    return;
  }

  it("finds the files formatted (terraform fmt -check)", () => {
    expect(() => execFileSync("terraform", ["fmt", "-check", "-diff", "-recursive", SERVICE_DIR], { encoding: "utf8", stdio: "pipe" })).not.toThrow();
  });
});

describe("releases (releases.tf, parsed with the HCL parser)", () => {
  it("publish a version per deploy and invoke every function only through its live alias, which Terraform never moves", async () => {
    const { merged } = await loadInfra();
    expect(merged.resource.aws_lambda_function.function[0].publish).toBe(true);
    const [alias] = merged.resource.aws_lambda_alias.live;
    expect(alias).toMatchObject({ for_each: "${var.functions}", name: "live", function_version: "${aws_lambda_function.function[each.key].version}" });
    expect(JSON.stringify(alias.lifecycle[0].ignore_changes)).toMatch(/function_version.*routing_config/);
    // API Gateway may invoke the alias, and only it.
    expect(merged.resource.aws_lambda_permission.api[0].qualifier).toBe("${aws_lambda_alias.live[local.http_function].name}");
    // Nothing invokes $LATEST: no trigger names the function itself.
    const triggers = JSON.stringify([
      merged.resource.aws_apigatewayv2_integration,
      merged.resource.aws_lambda_event_source_mapping,
      merged.resource.aws_scheduler_schedule,
    ]);
    expect(triggers).not.toMatch(/aws_lambda_function\.function\[[^\]]+\]\.(arn|invoke_arn)/);
  });

  it("give each function a CodeDeploy application and blue/green group that shifts by the deployment's setting and rolls back on its alarms", async () => {
    const { merged } = await loadInfra();
    expect(merged.resource.aws_codedeploy_app.function[0]).toMatchObject({ for_each: "${var.functions}", compute_platform: "Lambda" });
    const [group] = merged.resource.aws_codedeploy_deployment_group.function;
    expect(group).toMatchObject({
      deployment_group_name: "live",
      deployment_config_name: "${var.traffic_shift}",
      service_role_arn: "${data.aws_iam_role.codedeploy[each.key].arn}",
    });
    expect(group.deployment_style[0]).toEqual({ deployment_type: "BLUE_GREEN", deployment_option: "WITH_TRAFFIC_CONTROL" });
    expect(group.auto_rollback_configuration[0]).toEqual({ enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] });
    const alarms = String(group.alarm_configuration[0].alarms);
    for (const alarm of [
      "aws_cloudwatch_metric_alarm.lambda_errors[each.key].alarm_name",
      "aws_cloudwatch_metric_alarm.lambda_throttles[each.key].alarm_name",
      'aws_cloudwatch_metric_alarm.api_error_rate["5xx"].alarm_name',
    ]) {
      expect(alarms).toContain(alarm);
    }
    expect(merged.data.aws_iam_role.codedeploy[0].name).toBe("${local.function_names[each.key]}-codedeploy");
    expect(merged.variable.traffic_shift[0].default).toBe("CodeDeployDefault.LambdaAllAtOnce");
  });
});
