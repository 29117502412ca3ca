# One dashboard per deployment: the metrics the alarms watch, side by side.
locals {
  lambda_dimensions = { for name, f in aws_lambda_function.function : name => ["FunctionName", f.function_name] }
  api_dimensions    = ["ApiId", data.aws_apigatewayv2_api.api.id]
  table_dimensions  = ["TableName", data.aws_dynamodb_table.main.name]
  # The kit's metrics (alarms.tf): per route, and per stream consumer and scheduled job (Service, Function).
  route_dimensions = { for route in keys(var.routes) : route => ["Service", var.deployment, "Route", route] }
  kit_functions = {
    stream   = [for name, f in var.functions : ["Service", var.deployment, "Function", local.function_names[name]] if f.stream != null]
    schedule = [for name, f in var.functions : ["Service", var.deployment, "Function", local.function_names[name]] if f.schedule != null]
  }

  dashboard_widgets = [
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "Functions: invocations, errors, throttles", region = var.region, stat = "Sum", period = 60,
        metrics = flatten([for name, dimensions in local.lambda_dimensions : [
          concat(["AWS/Lambda", "Invocations"], dimensions),
          concat(["AWS/Lambda", "Errors"], dimensions),
          concat(["AWS/Lambda", "Throttles"], dimensions),
        ]])
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "HTTP function duration (ms)", region = var.region, period = 60,
        metrics = [
          concat(["AWS/Lambda", "Duration"], local.lambda_dimensions[local.http_function], [{ stat = "p50" }]),
          concat(["AWS/Lambda", "Duration"], local.lambda_dimensions[local.http_function], [{ stat = "p99" }]),
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.functions[local.http_function].timeout_seconds * 1000 * var.alarm_thresholds.duration_ratio }] }
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "HTTP API requests, 4xx, 5xx", region = var.region, stat = "Sum", period = 60,
        metrics = [
          concat(["AWS/ApiGateway", "Count"], local.api_dimensions),
          concat(["AWS/ApiGateway", "4xx"], local.api_dimensions),
          concat(["AWS/ApiGateway", "5xx"], local.api_dimensions),
        ]
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "Table consumed capacity (units per minute)", region = var.region, stat = "Sum", period = 60,
        metrics = [
          concat(["AWS/DynamoDB", "ConsumedReadCapacityUnits"], local.table_dimensions),
          concat(["AWS/DynamoDB", "ConsumedWriteCapacityUnits"], local.table_dimensions),
        ]
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "Table and index throttle events", region = var.region, stat = "Sum", period = 60,
        metrics = concat(
          [for target in values(local.throttle_targets) : concat(["AWS/DynamoDB", "ReadThrottleEvents"], flatten([for k, v in target.dimensions : [k, v]]))],
          [for target in values(local.throttle_targets) : concat(["AWS/DynamoDB", "WriteThrottleEvents"], flatten([for k, v in target.dimensions : [k, v]]))],
        )
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title   = "Table system errors", region = var.region, stat = "Sum", period = 60,
        metrics = [[{ expression = "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${data.aws_dynamodb_table.main.name}'", label = "system errors", id = "errors" }]]
      }
    },
    {
      type = "metric", width = 12, height = 6,
      properties = {
        title       = "Latency by route, p99 (ms)", region = var.region, stat = "p99", period = 300,
        metrics     = [for route, dimensions in local.route_dimensions : concat([var.metrics_namespace, "Latency"], dimensions)]
        annotations = { horizontal = [{ label = "alarm", value = var.alarm_thresholds.route_latency_p99_ms }] }
      }
    },
    {
      type = "metric", width = 12, height = 6,
      properties = {
        title = "Requests and 5xx by route", region = var.region, stat = "Sum", period = 300,
        metrics = flatten([for route, dimensions in local.route_dimensions : [
          concat([var.metrics_namespace, "Requests"], dimensions),
          concat([var.metrics_namespace, "Errors5xx"], dimensions),
        ]])
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "Units consumed by the functions, per second, and the table's maximum", region = var.region, period = 60,
        metrics = [
          [{ expression = "reads / 60", label = "read units/s", id = "read_rate" }],
          [{ expression = "writes / 60", label = "write units/s", id = "write_rate" }],
          [var.metrics_namespace, "ReadUnits", "Service", var.deployment, { stat = "Sum", id = "reads", visible = false }],
          [var.metrics_namespace, "WriteUnits", "Service", var.deployment, { stat = "Sum", id = "writes", visible = false }],
        ]
        annotations = { horizontal = [for metric, maximum in local.capacity_limits : { label = "${metric} maximum", value = maximum }] }
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "Stream consumers: records, failures, iterator age (ms)", region = var.region, stat = "Sum", period = 300,
        metrics = flatten([for dimensions in local.kit_functions.stream : [
          concat([var.metrics_namespace, "Records"], dimensions),
          concat([var.metrics_namespace, "RecordFailures"], dimensions),
          concat([var.metrics_namespace, "IteratorAge"], dimensions, [{ stat = "Maximum", yAxis = "right" }]),
        ]])
      }
    },
    {
      type = "metric", width = 8, height = 6,
      properties = {
        title = "Scheduled jobs: runs and duration (ms)", region = var.region, stat = "Sum", period = 3600,
        metrics = flatten([for dimensions in local.kit_functions.schedule : [
          concat([var.metrics_namespace, "RunSucceeded"], dimensions),
          concat([var.metrics_namespace, "RunFailed"], dimensions),
          concat([var.metrics_namespace, "RunDuration"], dimensions, [{ stat = "Maximum", yAxis = "right" }]),
        ]])
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = var.function_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
