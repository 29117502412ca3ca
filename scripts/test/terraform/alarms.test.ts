import { METRICS } from "@dynamodb-starter/kit/runtime";
import { loadInfra, type Hcl } from "../support/terraform";

let tf: Hcl;
beforeAll(async () => {
  ({ merged: tf } = await loadInfra());
});

const alarms = () => tf.resource.aws_cloudwatch_metric_alarm as Record<string, [Hcl]>;
/** The metrics an alarm reads, directly or through its metric queries. */
const metricsOf = (alarm: Hcl): { namespace: string; metric_name: string; dimensions: Record<string, string> }[] =>
  alarm.metric_name
    ? [{ namespace: alarm.namespace, metric_name: alarm.metric_name, dimensions: alarm.dimensions }]
    : (alarm.metric_query as Hcl[]).flatMap((q) => (q.metric ? [q.metric[0]] : []));

describe("alarms and dashboard (scripts/terraform/service/alarms.tf, scripts/terraform/service/dashboard.tf)", () => {
  it("alarm on each function's errors, throttles and p99 duration above 80% of its own timeout", () => {
    const { lambda_errors, lambda_throttles, lambda_duration } = alarms();
    for (const alarm of [lambda_errors![0], lambda_throttles![0], lambda_duration![0]]) {
      expect(alarm.for_each).toBe("${var.functions}");
      expect(alarm.namespace).toBe("AWS/Lambda");
      expect(alarm.dimensions).toEqual({ FunctionName: "${aws_lambda_function.function[each.key].function_name}" });
    }
    expect(lambda_errors![0]).toMatchObject({ metric_name: "Errors", threshold: "${var.alarm_thresholds.lambda_errors}" });
    expect(lambda_throttles![0]).toMatchObject({ metric_name: "Throttles" });
    expect(lambda_duration![0]).toMatchObject({
      metric_name: "Duration",
      extended_statistic: "p99",
      threshold: "${each.value.timeout_seconds * 1000 * var.alarm_thresholds.duration_ratio}",
    });
    expect(tf.variable.alarm_thresholds[0].type).toContain("duration_ratio     = optional(number, 0.8)");
  });

  it("alarm on the HTTP API's 5xx and 4xx rates: each over all responses of this API", () => {
    const [alarm] = alarms().api_error_rate!;
    expect(alarm!.for_each).toBe("${local.api_error_rates}");
    const rates = (tf.locals as Hcl[]).find((l) => l.api_error_rates)!.api_error_rates;
    expect(rates).toEqual({ "5xx": "${var.alarm_thresholds.api_5xx_rate}", "4xx": "${var.alarm_thresholds.api_4xx_rate}" });
    const [rate] = (alarm!.metric_query as Hcl[]).filter((q) => q.return_data === true);
    expect(rate!.expression).toBe("IF(requests > 0, errors / requests, 0)");
    expect(metricsOf(alarm!).map((m) => [m.namespace, m.metric_name, m.dimensions])).toEqual([
      ["AWS/ApiGateway", "${each.key}", { ApiId: "${data.aws_apigatewayv2_api.api.id}" }],
      ["AWS/ApiGateway", "Count", { ApiId: "${data.aws_apigatewayv2_api.api.id}" }],
    ]);
    expect(alarm!.threshold).toBe("${each.value}");
    expect(tf.variable.alarm_thresholds[0].type).toContain("api_4xx_rate       = optional(number, 0.25)");
  });

  it("alarm on DynamoDB throttling of the table and of every index, and on its system errors", () => {
    const { dynamodb_throttles, table_system_errors } = alarms();
    expect(dynamodb_throttles![0].for_each).toBe("${local.throttle_targets}");
    expect(metricsOf(dynamodb_throttles![0]).map((m) => [m.metric_name, m.dimensions])).toEqual([
      ["ReadThrottleEvents", "${each.value.dimensions}"],
      ["WriteThrottleEvents", "${each.value.dimensions}"],
    ]);
    // The table itself, and one target per index the table has (read at plan time).
    const targets = String(tf.locals.find((l: Hcl) => l.throttle_targets).throttle_targets);
    expect(targets).toContain(
      'table = { what = "table ${data.aws_dynamodb_table.main.name}", dimensions = { TableName = data.aws_dynamodb_table.main.name } }',
    );
    expect(targets).toContain('for index in data.aws_dynamodb_table.main.global_secondary_index : "index-${index.name}"');
    expect(targets).toContain("dimensions = { TableName = data.aws_dynamodb_table.main.name, GlobalSecondaryIndexName = index.name }");
    const [query] = table_system_errors![0].metric_query as Hcl[];
    expect(query!.expression).toMatch(
      /^SELECT SUM\(SystemErrors\) FROM SCHEMA\("AWS\/DynamoDB", Operation, TableName\) WHERE TableName = '\$\{data\.aws_dynamodb_table\.main\.name\}'$/,
    );
  });

  it("send every alarm, and its recovery, to the deployment's SNS topic, with an optional email subscription", () => {
    for (const [name, [alarm]] of Object.entries(alarms())) {
      expect({ name, actions: alarm!.alarm_actions, ok: alarm!.ok_actions }).toEqual({ name, actions: "${local.alarm_actions}", ok: "${local.alarm_actions}" });
      // Named after the deployment's HTTP function or after the function it watches: the deploy role's alarms, by name.
      expect({ name, alarm: alarm!.alarm_name }).toEqual({
        name,
        alarm: expect.stringMatching(/^\$\{(var\.function_name|local\.function_names\[each\.key\])\}-/),
      });
      expect({ name, missing: alarm!.treat_missing_data }).toEqual({ name, missing: "notBreaching" });
    }
    expect(Object.keys(alarms()).sort()).toEqual([
      "api_error_rate",
      "consumed_capacity",
      "dynamodb_throttles",
      "lambda_duration",
      "lambda_errors",
      "lambda_throttles",
      "route_5xx",
      "route_latency",
      "stream_failures",
      "stream_iterator_age",
      "table_system_errors",
    ]);
    expect(tf.locals.find((l: Hcl) => l.alarm_actions).alarm_actions).toEqual(["${aws_sns_topic.alarms.arn}"]);
    expect(tf.resource.aws_sns_topic_subscription.alarm_email[0]).toMatchObject({
      count: '${var.alarm_email == "" ? 0 : 1}',
      protocol: "email",
      endpoint: "${var.alarm_email}",
      topic_arn: "${aws_sns_topic.alarms.arn}",
    });
  });

  it("show the alarms' metrics on one dashboard per deployment", () => {
    const [dashboard] = tf.resource.aws_cloudwatch_dashboard.main;
    expect(dashboard.dashboard_name).toBe("${var.function_name}");
    expect(dashboard.dashboard_body).toBe("${jsonencode({ widgets = local.dashboard_widgets })}");
    const widgets = JSON.stringify(tf.locals.find((l: Hcl) => l.dashboard_widgets).dashboard_widgets);
    for (const metric of [
      "Errors",
      "Throttles",
      "Duration",
      "5xx",
      "ReadThrottleEvents",
      "WriteThrottleEvents",
      "SystemErrors",
      "ConsumedWriteCapacityUnits",
    ]) {
      expect({ metric, shown: new RegExp(`[^A-Za-z]${metric}[^A-Za-z]`).test(widgets) }).toEqual({ metric, shown: true });
    }
    expect(widgets).not.toMatch(/[^A-Za-z]NoSuchMetric[^A-Za-z]/);
  });

  it("alarm per route on the kit's p99 latency and 5xx, and on the units the functions consume near the table's on-demand maximum", () => {
    const { route_latency, route_5xx, consumed_capacity } = alarms();
    const kit = tf.locals.find((l: Hcl) => l.kit_metrics).kit_metrics;
    expect(kit).toEqual({ namespace: "${var.metrics_namespace}", service: "${var.deployment}" });
    for (const alarm of [route_latency![0], route_5xx![0]]) {
      expect(alarm.for_each).toBe("${var.routes}");
      expect(alarm.namespace).toBe("${local.kit_metrics.namespace}");
      expect(alarm.dimensions).toEqual({ Service: "${local.kit_metrics.service}", Route: "${each.key}" });
    }
    expect(route_latency![0]).toMatchObject({ metric_name: "Latency", extended_statistic: "p99", threshold: "${var.alarm_thresholds.route_latency_p99_ms}" });
    expect(route_5xx![0]).toMatchObject({ metric_name: "Errors5xx", statistic: "Sum", threshold: "${var.alarm_thresholds.route_5xx}" });
    // One alarm per kind of unit the table has a maximum for, reading the functions' units per second.
    const capacity = consumed_capacity![0];
    expect(capacity.for_each).toBe("${local.capacity_limits}");
    expect(capacity.threshold).toBe("${each.value * var.alarm_thresholds.capacity_ratio}");
    const [units] = metricsOf(capacity);
    expect(units).toMatchObject({
      metric_name: "${each.key}",
      namespace: "${local.kit_metrics.namespace}",
      dimensions: { Service: "${local.kit_metrics.service}" },
    });
    expect((capacity.metric_query as Hcl[]).find((q) => q.return_data)!.expression).toBe("units / 60");
    const limits = tf.locals.find((l: Hcl) => l.on_demand_maximum).on_demand_maximum;
    expect(limits.ReadUnits).toContain("max_read_request_units");
    expect(limits.WriteUnits).toContain("max_write_request_units");
    // The functions are told where their metrics go.
    const env = tf.resource.aws_lambda_function.function[0].environment[0].variables as string;
    expect(env).toContain("METRICS_NAMESPACE = var.metrics_namespace");
    expect(env).toContain("SERVICE_NAME = var.deployment");
    expect(env).toContain("LOG_LEVEL = each.value.log_level");
  });

  it("name, in the kit's namespace, only metrics the kit emits, and show every one of them", () => {
    const emitted = new Set<string>(Object.values(METRICS).flat());
    const widgets = JSON.stringify(tf.locals.find((l: Hcl) => l.dashboard_widgets).dashboard_widgets);
    // In a concat(...) expression, or an array of its own: both name the namespace first and the metric next.
    const onDashboard = [...widgets.matchAll(/var\.metrics_namespace(?:, \\"|\}",")(\w+)\\?"/g)].map((m) => m[1]!);
    const kitAlarms = Object.values(alarms())
      .map(([alarm]) => alarm)
      .flatMap((alarm) => metricsOf(alarm).filter((m) => m.namespace === "${local.kit_metrics.namespace}"));
    const byKey = (alarm: Hcl[]) =>
      alarm[0]!.for_each === "${local.capacity_limits}" ? Object.keys(tf.locals.find((l: Hcl) => l.on_demand_maximum).on_demand_maximum) : [];
    const inAlarms = [...kitAlarms.map((m) => m.metric_name).filter((name) => !name.startsWith("${")), ...Object.values(alarms()).flatMap(byKey)];
    expect(onDashboard.length).toBeGreaterThan(10);
    expect([...onDashboard, ...inAlarms].filter((name) => !emitted.has(name))).toEqual([]);
    expect([...emitted].filter((name) => !onDashboard.includes(name) && name !== "ColdStart" && name !== "Errors4xx")).toEqual([]);
    expect(inAlarms.sort()).toEqual(["Errors5xx", "Latency", "ReadUnits", "WriteUnits"]);
  });

  it("turn X-Ray tracing on per deployment", () => {
    const [fn] = tf.resource.aws_lambda_function.function;
    expect(fn.tracing_config[0].mode).toBe('${var.tracing ? "Active" : "PassThrough"}');
    expect(tf.variable.tracing[0]).toMatchObject({ type: "${bool}", default: false });
  });
});
