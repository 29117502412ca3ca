# Alarms for the three things that page a platform team: a function failing or
# running out of time (each function has its own; stream consumers also have theirs in streams.tf), the HTTP API answering 5xx (or 4xx in a flood), and DynamoDB throttling or
# failing. Thresholds come from infra/deployments.json ("alarms"), with defaults
# in variables.tf. Every alarm notifies the deployment's SNS topic, and again
# when it recovers.

resource "aws_sns_topic" "alarms" {
  name = "${var.function_name}-alarms"
}

# Optional: AWS mails a confirmation link that someone must click before alarms arrive.
resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = var.functions

  alarm_name          = "${local.function_names[each.key]}-errors"
  alarm_description   = "${local.function_names[each.key]} failed at least ${var.alarm_thresholds.lambda_errors} time(s) in 5 minutes (uncaught errors, timeouts, out of memory)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_thresholds.lambda_errors
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = var.functions

  alarm_name          = "${local.function_names[each.key]}-throttles"
  alarm_description   = "Invocations of ${local.function_names[each.key]} were throttled (account or reserved concurrency exhausted)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_duration" {
  for_each = var.functions

  alarm_name          = "${local.function_names[each.key]}-duration-p99"
  alarm_description   = "p99 duration of ${local.function_names[each.key]} is above ${var.alarm_thresholds.duration_ratio * 100}% of its ${each.value.timeout_seconds} s timeout, for 3 of the last 5 periods of 5 minutes: timeouts are next."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = each.value.timeout_seconds * 1000 * var.alarm_thresholds.duration_ratio
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Rates, not counts: 5xx (the service failing) and 4xx (a flood of bad or unauthorized calls)
# over all responses, in 5-minute periods with traffic.
locals {
  api_error_rates = {
    "5xx" = var.alarm_thresholds.api_5xx_rate
    "4xx" = var.alarm_thresholds.api_4xx_rate
  }
}

resource "aws_cloudwatch_metric_alarm" "api_error_rate" {
  for_each = local.api_error_rates

  alarm_name          = "${var.function_name}-http-${each.key}-rate"
  alarm_description   = "More than ${each.value * 100}% of the HTTP API's responses were ${each.key}, in 2 consecutive periods of 5 minutes."
  evaluation_periods  = 2
  threshold           = each.value
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, errors / requests, 0)"
    label       = "${each.key} rate"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = each.key
      dimensions  = { ApiId = data.aws_apigatewayv2_api.api.id }
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiId = data.aws_apigatewayv2_api.api.id }
      stat        = "Sum"
      period      = 300
    }
  }
}

locals {
  # The table, and each global secondary index it has now (read at plan time): a throttled index
  # throttles the writes to its table, so each gets an alarm of its own.
  throttle_targets = merge(
    { table = { what = "table ${data.aws_dynamodb_table.main.name}", dimensions = { TableName = data.aws_dynamodb_table.main.name } } },
    {
      for index in data.aws_dynamodb_table.main.global_secondary_index : "index-${index.name}" => {
        what       = "index ${index.name} of table ${data.aws_dynamodb_table.main.name}"
        dimensions = { TableName = data.aws_dynamodb_table.main.name, GlobalSecondaryIndexName = index.name }
      }
    },
  )
}

# Read and write throttle events, summed.
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  for_each = local.throttle_targets

  alarm_name          = "${var.function_name}-${each.key}-throttles"
  alarm_description   = "DynamoDB throttled at least ${var.alarm_thresholds.dynamodb_throttles} request(s) on ${each.value.what} in 5 minutes."
  evaluation_periods  = 1
  threshold           = var.alarm_thresholds.dynamodb_throttles
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "throttles"
    expression  = "FILL(reads, 0) + FILL(writes, 0)"
    label       = "throttle events"
    return_data = true
  }

  metric_query {
    id = "reads"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = each.value.dimensions
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "writes"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = each.value.dimensions
      stat        = "Sum"
      period      = 300
    }
  }
}

# SystemErrors is published per operation; a Metrics Insights query sums every operation on the table.
resource "aws_cloudwatch_metric_alarm" "table_system_errors" {
  alarm_name          = "${var.function_name}-table-system-errors"
  alarm_description   = "DynamoDB answered at least one request on table ${data.aws_dynamodb_table.main.name} with a 500 (SystemErrors) in 5 minutes."
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "errors"
    expression  = "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${data.aws_dynamodb_table.main.name}'"
    label       = "system errors"
    period      = 300
    return_data = true
  }
}

# Deployments made before functions were many keep their API function's alarms.
moved {
  from = aws_cloudwatch_metric_alarm.lambda_errors
  to   = aws_cloudwatch_metric_alarm.lambda_errors["api"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_throttles
  to   = aws_cloudwatch_metric_alarm.lambda_throttles["api"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_duration
  to   = aws_cloudwatch_metric_alarm.lambda_duration["api"]
}

# The kit's own metrics: every invocation writes one line in CloudWatch's embedded metric format
# (the kit's runtime/telemetry.ts), which CloudWatch Logs turns into metrics in var.metrics_namespace: per route of the
# HTTP API (Service, Route) and, for every function, the DynamoDB units it consumed (Service).
locals {
  kit_metrics = { namespace = var.metrics_namespace, service = var.deployment }

  # The table's on-demand maximum per second (0 or absent: none set), which the consumed units are compared with.
  on_demand_maximum = {
    ReadUnits  = try(data.aws_dynamodb_table.main.on_demand_throughput[0].max_read_request_units, 0)
    WriteUnits = try(data.aws_dynamodb_table.main.on_demand_throughput[0].max_write_request_units, 0)
  }
  capacity_limits = { for metric, maximum in local.on_demand_maximum : metric => maximum if maximum > 0 }

  # A route in an alarm's name: its key in lowercase words ("get-users-email"), and a hash of the key itself, so that
  # two keys that read alike (GET /a/{id} and GET /a/id) never share a name.
  route_slugs = { for route in keys(var.routes) : route => "${substr(trim(replace(lower(route), "/[^a-z0-9]+/", "-"), "-"), 0, 120)}-${substr(sha1(route), 0, 6)}" }
}

# A route's p99 latency above the threshold for 3 of the last 5 periods of 5 minutes.
resource "aws_cloudwatch_metric_alarm" "route_latency" {
  for_each = var.routes

  alarm_name          = "${var.function_name}-p99-${local.route_slugs[each.key]}"
  alarm_description   = "p99 latency of ${each.key} is above ${var.alarm_thresholds.route_latency_p99_ms} ms, for 3 of the last 5 periods of 5 minutes (the kit's Latency metric, measured in the function)."
  namespace           = local.kit_metrics.namespace
  metric_name         = "Latency"
  dimensions          = { Service = local.kit_metrics.service, Route = each.key }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = var.alarm_thresholds.route_latency_p99_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# A route answering 5xx: the kit counts them per route, where API Gateway's 5xx alarm sees the whole API.
resource "aws_cloudwatch_metric_alarm" "route_5xx" {
  for_each = var.routes

  alarm_name          = "${var.function_name}-5xx-${local.route_slugs[each.key]}"
  alarm_description   = "${each.key} answered at least ${var.alarm_thresholds.route_5xx} 5xx in 5 minutes."
  namespace           = local.kit_metrics.namespace
  metric_name         = "Errors5xx"
  dimensions          = { Service = local.kit_metrics.service, Route = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm_thresholds.route_5xx
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The units the functions consume per second, near the table's on-demand maximum (past it, DynamoDB throttles).
resource "aws_cloudwatch_metric_alarm" "consumed_capacity" {
  for_each = local.capacity_limits

  alarm_name          = "${var.function_name}-${lower(each.key)}-near-maximum"
  alarm_description   = "The functions consumed more than ${var.alarm_thresholds.capacity_ratio * 100}% of the table's on-demand maximum of ${each.value} ${each.key == "ReadUnits" ? "read" : "write"} units per second, in 3 of the last 5 minutes."
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = each.value * var.alarm_thresholds.capacity_ratio
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "per_second"
    expression  = "units / 60"
    label       = "${each.key} per second"
    return_data = true
  }

  metric_query {
    id = "units"
    metric {
      namespace   = local.kit_metrics.namespace
      metric_name = each.key
      dimensions  = { Service = local.kit_metrics.service }
      stat        = "Sum"
      period      = 60
    }
  }
}
