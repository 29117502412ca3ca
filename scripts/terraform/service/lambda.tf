# One function per module of src/handlers/ (var.functions): its own zip, role, log group and alarms.
locals {
  function_names = { for name, _ in var.functions : name => "${var.deployment}-${name}" }
  # The one HTTP function: the API's integration, and the only function with reserved concurrency.
  http_function = one([for name, f in var.functions : name if f.http])
}

# Created before the function so that Lambda never creates it without retention.
resource "aws_cloudwatch_log_group" "function" {
  for_each = var.functions

  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "function" {
  for_each = var.functions

  function_name    = local.function_names[each.key]
  role             = data.aws_iam_role.function[each.key].arn
  filename         = each.value.zip
  source_code_hash = filebase64sha256(each.value.zip)
  handler          = "index.handler"
  # Each deploy publishes a version; the `live` alias (releases.tf) is what every trigger invokes.
  publish       = true
  runtime       = "nodejs22.x"
  architectures = ["arm64"]
  memory_size   = each.value.memory_mb
  timeout       = each.value.timeout_seconds
  # The HTTP function: a ceiling as well as a floor, so it never takes the whole account's concurrency.
  # The others are unreserved (-1): a stream consumer runs one invocation per shard at a time anyway.
  reserved_concurrent_executions = each.value.http ? var.lambda_reserved_concurrency : -1

  environment {
    variables = merge(
      { TABLE_NAME = data.aws_dynamodb_table.main.name },
      # The kit's log lines and metric lines (embedded metric format): their level, and the service and namespace the metrics go under.
      { LOG_LEVEL = each.value.log_level, SERVICE_NAME = var.deployment, METRICS_NAMESPACE = var.metrics_namespace },
      # Only the HTTP function seals pagination cursors: the name of the parameter that holds its secret, not the secret.
      each.value.http ? { CURSOR_SECRET_PARAMETER = local.cursor_secret_parameter } : {},
      # No NODE_OPTIONS=--enable-source-maps: it makes every cold start parse the maps (+35% module load, make bench).
      # The maps ship in the zip; `make stack` maps a logged stack back to src/.
    )
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  # X-Ray active tracing, a per-deployment switch ("tracing" in infra/deployments.json).
  tracing_config {
    mode = var.tracing ? "Active" : "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.function]
}

# Deployments made before functions were many keep their API function and its log group.
moved {
  from = aws_lambda_function.api
  to   = aws_lambda_function.function["api"]
}

moved {
  from = aws_cloudwatch_log_group.api
  to   = aws_cloudwatch_log_group.function["api"]
}
