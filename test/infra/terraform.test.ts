import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_TARGET } from "../../scripts/build";
import { INFRA_DIR, interpolations, loadInfra, unresolvedReferences, type Hcl } from "../support/terraform";

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
      "dashboard.tf",
      "iam.tf",
      "lambda.tf",
      "main.tf",
      "outputs.tf",
      "providers.tf",
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
    expect(Object.keys(tf.output).sort()).toEqual(["alarm_topic_arn", "api_url", "dashboard_url", "function_name", "log_group_name", "role_arn", "table_arn"]);
    for (const [name, [output]] of Object.entries(tf.output) as [string, Record<string, unknown>[]][]) {
      expect({ name, description: typeof output!.description }).toEqual({ name, description: "string" });
    }
  });

  it("pins Terraform >= 1.10 and the AWS provider, and locks S3 state with a lock file", () => {
    const [terraform] = files["versions.tf"]!.terraform;
    expect(terraform.required_version).toMatch(/>= 1\.1\d/);
    expect(terraform.required_providers[0].aws).toEqual({ source: "hashicorp/aws", version: expect.stringMatching(/^~> \d+\.\d+$/) });
    expect(terraform.required_providers[0].random).toEqual({ source: "hashicorp/random", version: expect.stringMatching(/^~> \d+\.\d+$/) });
    expect(files["backend.tf"]!.terraform[0].backend.s3[0]).toMatchObject({ use_lockfile: true, encrypt: true });
    expect(files["providers.tf"]!.provider.aws[0].default_tags[0].tags).toContain("var.tags");
  });

  it("runs the prebuilt zip on the runtime the bundle targets, with the table name in its environment", () => {
    const [fn] = tf.resource.aws_lambda_function.api;
    expect(fn.runtime).toBe(`nodejs${NODE_TARGET.replace("node", "")}.x`);
    expect(fn.architectures).toEqual(["arm64"]);
    expect(fn.handler).toBe("index.handler");
    expect(fn.filename).toBe("${var.lambda_zip}");
    expect(fn.source_code_hash).toBe("${filebase64sha256(var.lambda_zip)}");
    expect(fn.environment[0].variables.TABLE_NAME).toBe("${data.aws_dynamodb_table.main.name}");
    expect(fn.environment[0].variables.CURSOR_SECRET).toBe("${random_password.cursor_secret.result}");
    expect(fn.memory_size).toBe("${var.lambda_memory_mb}");
    expect(fn.timeout).toBe("${var.lambda_timeout_seconds}");
  });

  it("creates the log group with retention before the function, and logs there", () => {
    const [group] = tf.resource.aws_cloudwatch_log_group.api;
    const [fn] = tf.resource.aws_lambda_function.api;
    expect(group.retention_in_days).toBe("${var.log_retention_days}");
    expect(group.name).toBe("/aws/lambda/${var.function_name}");
    expect(fn.function_name).toBe("${var.function_name}");
    expect(fn.depends_on).toContain("${aws_cloudwatch_log_group.api}");
    expect(fn.logging_config[0].log_group).toBe("${aws_cloudwatch_log_group.api.name}");
  });

  it("manages no IAM: the function's role comes from infra/bootstrap, read by name and passed to Lambda", () => {
    for (const type of ["aws_iam_role", "aws_iam_role_policy", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment"]) {
      expect({ type, resources: tf.resource[type] }).toEqual({ type, resources: undefined });
    }
    expect(tf.data.aws_iam_role.api[0].name).toBe("${var.function_name}");
    expect(tf.resource.aws_lambda_function.api[0].role).toBe("${data.aws_iam_role.api.arn}");
    expect(JSON.stringify(tf)).not.toMatch(/AdministratorAccess|FullAccess|PowerUser/);
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
      integration_uri: "${aws_lambda_function.api.invoke_arn}",
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
    expect(tf.moved).toEqual([{ from: "${aws_apigatewayv2_route.default}", to: '${aws_apigatewayv2_route.app["$default"]}' }]);
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

describe("limits and records (infra/api.tf, infra/lambda.tf)", () => {
  it("throttles the stage's routes, and reserves (and caps) the function's concurrency, from the deployment", () => {
    const [stage] = tf.resource.aws_apigatewayv2_stage.default;
    expect(stage.default_route_settings[0]).toEqual({
      throttling_burst_limit: "${var.api_throttling.burst_limit}",
      throttling_rate_limit: "${var.api_throttling.rate_limit}",
    });
    expect(tf.variable.api_throttling[0].type).toContain("burst_limit = number");
    expect(tf.resource.aws_lambda_function.api[0].reserved_concurrent_executions).toBe("${var.lambda_reserved_concurrency}");
    // Defaults live once, in scripts/deployments.ts: the var file always sets these.
    for (const name of ["lambda_memory_mb", "lambda_timeout_seconds", "log_retention_days", "lambda_reserved_concurrency", "api_throttling"]) {
      expect({ name, default: tf.variable[name][0].default }).toEqual({ name, default: undefined });
    }
  });

  it("logs every request to an access log with retention: ids, route, status, latency, caller and source, never a body or a token", () => {
    const [stage] = tf.resource.aws_apigatewayv2_stage.default;
    const [settings] = stage.access_log_settings;
    expect(settings.destination_arn).toBe("${aws_cloudwatch_log_group.access.arn}");
    const format = String(settings.format);
    for (const variable of ["$context.requestId", "$context.routeKey", "$context.status", "$context.responseLatency", "$context.authorizer.claims.sub", "$context.identity.sourceIp"]) {
      expect(format).toContain(variable);
    }
    expect(format).not.toMatch(/body|header|authorization|token/i);
    expect(tf.resource.aws_cloudwatch_log_group.access[0]).toEqual({ name: "/aws/apigateway/${var.function_name}-access", retention_in_days: "${var.log_retention_days}" });
  });

});

describe("terraform CLI checks", () => {
  const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
  const available = terraform.status === 0;
  if (!available) {
    it("are skipped: no terraform binary on PATH (the HCL checks above still ran)", () => {
      console.log("terraform not found on PATH: `terraform fmt -check` and `terraform validate` were not run");
      expect(terraform.status).not.toBe(0);
    });
    return;
  }

  it("finds the files formatted (terraform fmt -check)", () => {
    expect(() => execFileSync("terraform", ["fmt", "-check", "-diff", "-recursive", INFRA_DIR], { encoding: "utf8", stdio: "pipe" })).not.toThrow();
  });

  it("validates the configuration when the AWS provider can be installed", () => {
    const dir = mkdtempSync(join(tmpdir(), "tf-validate-"));
    try {
      cpSync(INFRA_DIR, dir, { recursive: true, filter: (src) => !src.includes(".terraform") });
      const init = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
      if (init.status !== 0) {
        console.log(`terraform validate not run: \`terraform init\` could not install the AWS provider here (no registry access?):\n${init.stderr.split("\n").filter((l) => /Error/.test(l)).map((l) => l.replace(/^[│╷╵\s]+/, "")).slice(0, 2).join(" ")}`);
        expect(init.stderr).toMatch(/provider|registry|Failed to query|could not/i);
        return;
      }
      const validate = spawnSync("terraform", ["validate", "-no-color"], { cwd: dir, encoding: "utf8" });
      expect(validate.stdout + validate.stderr).toContain("Success");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
