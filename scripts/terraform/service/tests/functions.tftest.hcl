# `terraform test` with a mocked AWS provider: no account, no credentials, nothing created. It plans infra/ for a
# service of three functions (an HTTP API, a stream consumer, a scheduled job) and checks the per-function wiring.
# Run by the pull-request workflow (make infra-test), where the providers can be downloaded.

mock_provider "aws" {
  mock_data "aws_dynamodb_table" {
    defaults = {
      arn                    = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev"
      stream_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev/stream/2026-11-29T00:00:00.000"
      stream_enabled         = true
      stream_view_type       = "NEW_AND_OLD_IMAGES"
      global_secondary_index = []
      on_demand_throughput   = [{ max_read_request_units = 100, max_write_request_units = 40 }]
    }
  }

  mock_data "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mocked"
    }
  }

  mock_data "aws_apigatewayv2_apis" {
    defaults = {
      ids = ["a1b2c3d4e5"]
    }
  }

  mock_data "aws_apigatewayv2_api" {
    defaults = {
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
    }
  }
}

variables {
  deployment    = "dev"
  region        = "eu-west-1"
  function_name = "dev-api"
  table_name    = "orders-dev"
  # Any file stands in for the zips: the plan only hashes them.
  functions = {
    api = { zip = "versions.tf", memory_mb = 256, timeout_seconds = 10, http = true }
    changes = {
      zip             = "versions.tf"
      memory_mb       = 256
      timeout_seconds = 30
      stream          = { batch_size = 100, maximum_retry_attempts = 3, maximum_record_age_in_seconds = 3600 }
    }
    nightly = {
      zip             = "versions.tf"
      memory_mb       = 256
      timeout_seconds = 300
      schedule        = { expression = "rate(1 day)" }
    }
  }
  jwt_issuer                  = "https://issuer.example.com/"
  jwt_audiences               = ["api"]
  routes                      = { "GET /health" = { public = true, scopes = [] } }
  lambda_reserved_concurrency = 20
  api_throttling              = { burst_limit = 100, rate_limit = 50 }
  log_retention_days          = 14
  backfill_worker_zip         = "versions.tf"
  metrics_namespace           = "DynamoDBStarter"
}

run "the_kit_metrics_alarm_per_route_and_on_consumed_units" {
  command = plan

  variables {
    routes = {
      "GET /health"     = { public = true, scopes = [] }
      "GET /items/{id}" = { public = false, scopes = [] }
      "GET /items/id"   = { public = false, scopes = [] }
    }
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.route_latency) == 3 && length(aws_cloudwatch_metric_alarm.route_5xx) == 3
    error_message = "every route has a p99 latency alarm and a 5xx alarm"
  }

  assert {
    condition     = length(toset([for a in aws_cloudwatch_metric_alarm.route_latency : a.alarm_name])) == 3
    error_message = "routes that read alike still get alarms of their own names"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.route_latency["GET /items/{id}"].dimensions == { Service = "dev", Route = "GET /items/{id}" }
    error_message = "a route's alarm reads the kit's metric under the deployment's service and the route's key"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.consumed_capacity["WriteUnits"].threshold == 32
    error_message = "the write units alarm fires at 80% of the table's on-demand maximum (40 per second)"
  }

  assert {
    condition     = aws_lambda_function.function["changes"].environment[0].variables["METRICS_NAMESPACE"] == "DynamoDBStarter" && aws_lambda_function.function["changes"].environment[0].variables["LOG_LEVEL"] == "info"
    error_message = "every function is told its metrics' namespace and its log level"
  }
}

run "one_function_role_log_group_and_alarms_per_handler" {
  command = plan

  assert {
    condition     = toset(keys(aws_lambda_function.function)) == toset(["api", "changes", "nightly"])
    error_message = "every entry of var.functions is a function"
  }

  assert {
    condition     = aws_lambda_function.function["changes"].function_name == "dev-changes"
    error_message = "a function is named <deployment>-<handler>"
  }

  assert {
    condition     = length(data.aws_iam_role.function) == 3 && data.aws_iam_role.function["nightly"].name == "dev-nightly"
    error_message = "each function reads its own role, by its own name"
  }

  assert {
    condition     = aws_cloudwatch_log_group.function["nightly"].name == "/aws/lambda/dev-nightly" && length(aws_cloudwatch_log_group.function) == 3
    error_message = "each function has its own log group"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.lambda_errors) == 3 && aws_cloudwatch_metric_alarm.lambda_errors["nightly"].alarm_name == "dev-nightly-errors"
    error_message = "each function has its own error alarm"
  }

  assert {
    condition     = aws_lambda_function.function["api"].reserved_concurrent_executions == 20 && aws_lambda_function.function["changes"].reserved_concurrent_executions == -1
    error_message = "only the HTTP function reserves concurrency"
  }

  assert {
    condition     = aws_lambda_function.function["nightly"].timeout == 300 && aws_lambda_function.function["api"].timeout == 10
    error_message = "each function has its own timeout"
  }
}

run "one_trigger_per_handler" {
  command = plan

  assert {
    condition     = toset(keys(aws_lambda_event_source_mapping.stream)) == toset(["changes"])
    error_message = "only the stream consumer reads the stream"
  }

  assert {
    condition     = toset(keys(aws_scheduler_schedule.function)) == toset(["nightly"])
    error_message = "only the scheduled job has a schedule"
  }

  assert {
    condition     = aws_scheduler_schedule.function["nightly"].schedule_expression == "rate(1 day)" && aws_scheduler_schedule.function["nightly"].schedule_expression_timezone == "UTC"
    error_message = "the schedule runs on the handler's expression, in UTC by default"
  }

  assert {
    condition     = length(aws_apigatewayv2_integration.api) == 1 && length(aws_lambda_permission.api) == 1
    error_message = "only the HTTP function is behind the API"
  }
}

run "stream_mapping_settings" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.stream["changes"].event_source_arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev/stream/2026-11-29T00:00:00.000"
    error_message = "the mapping reads the table's stream, from the data source"
  }

  assert {
    condition     = toset(aws_lambda_event_source_mapping.stream["changes"].function_response_types) == toset(["ReportBatchItemFailures"])
    error_message = "the consumer reports partial batch failures"
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream["changes"].bisect_batch_on_function_error == true
    error_message = "a failing batch is bisected"
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream["changes"].maximum_retry_attempts == 3 && aws_lambda_event_source_mapping.stream["changes"].maximum_record_age_in_seconds == 3600
    error_message = "retries and record age are the handler's, bounded"
  }

  assert {
    condition     = aws_lambda_event_source_mapping.stream["changes"].batch_size == 100 && aws_lambda_event_source_mapping.stream["changes"].starting_position == "TRIM_HORIZON"
    error_message = "the batch size is the handler's, and the mapping starts at the oldest record"
  }

  assert {
    condition     = aws_sqs_queue.stream_failures["changes"].name == "dev-changes-failures" && aws_cloudwatch_metric_alarm.stream_failures["changes"].threshold == 1
    error_message = "a failure queue per consumer, and an alarm on its first message"
  }
}

run "refuses_unbounded_retries" {
  command = plan

  variables {
    functions = {
      api = { zip = "versions.tf", memory_mb = 256, timeout_seconds = 10, http = true }
      changes = {
        zip             = "versions.tf"
        memory_mb       = 256
        timeout_seconds = 30
        stream          = { batch_size = 100, maximum_retry_attempts = -1, maximum_record_age_in_seconds = 3600 }
      }
    }
  }

  expect_failures = [var.functions]
}

run "refuses_a_stream_consumer_without_the_stream" {
  command = plan

  override_data {
    target = data.aws_dynamodb_table.main
    values = {
      stream_enabled         = false
      stream_view_type       = ""
      stream_arn             = ""
      global_secondary_index = []
    }
  }

  expect_failures = [aws_lambda_event_source_mapping.stream]
}

run "every_function_released_through_its_live_alias_by_codedeploy" {
  command = plan

  variables {
    traffic_shift = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.function : f.publish])
    error_message = "every function publishes a version per deploy"
  }

  assert {
    condition     = toset(keys(aws_lambda_alias.live)) == toset(keys(var.functions)) && alltrue([for a in aws_lambda_alias.live : a.name == "live"])
    error_message = "every function has a live alias"
  }

  assert {
    condition     = alltrue([for g in aws_codedeploy_deployment_group.function : g.deployment_config_name == "CodeDeployDefault.LambdaCanary10Percent5Minutes"])
    error_message = "each deployment group shifts as the deployment says"
  }

  assert {
    condition     = contains(aws_codedeploy_deployment_group.function["api"].alarm_configuration[0].alarms, "dev-api-http-5xx-rate") && contains(aws_codedeploy_deployment_group.function["changes"].alarm_configuration[0].alarms, "dev-changes-errors")
    error_message = "a shift rolls back on the function's alarms, and the API's 5xx rate for the HTTP function"
  }

  assert {
    condition     = aws_lambda_permission.api.qualifier == "live"
    error_message = "API Gateway may invoke the live alias"
  }
}

run "refuses_a_traffic_shift_codedeploy_does_not_have" {
  command = plan

  variables {
    traffic_shift = "CodeDeployDefault.LambdaCanary50Percent1Minute"
  }

  expect_failures = [var.traffic_shift]
}
