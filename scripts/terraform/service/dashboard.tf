# One dashboard per deployment: the metrics the alarms watch, side by side.
locals {
  lambda_dimensions = { for name, f in aws_lambda_function.function : name => ["FunctionName", f.function_name] }
  api_dimensions    = ["ApiId", data.aws_apigatewayv2_api.api.id]
  table_dimensions  = ["TableName", data.aws_dynamodb_table.main.name]

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
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = var.function_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
