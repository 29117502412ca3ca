# Releases that can be undone. Every function publishes a version per deploy (lambda.tf) and is invoked only through
# its `live` alias: the API's integration, the stream mappings and the schedules name the alias, never $LATEST.
# CodeDeploy moves the alias to the new version, per the deployment's traffic shift, after make deploy's pre-traffic
# check, and moves it back by itself on a failure or when the function's alarms (or the API's 5xx rate) go off.
resource "aws_lambda_alias" "live" {
  for_each = var.functions

  name             = "live"
  description      = "What every trigger of ${local.function_names[each.key]} invokes; moved by CodeDeploy."
  function_name    = aws_lambda_function.function[each.key].function_name
  function_version = aws_lambda_function.function[each.key].version

  # Created on the first version; from then on CodeDeploy owns where it points and its weights: an apply never
  # fights a shift in progress, or undoes one.
  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

# Per function, the role CodeDeploy shifts it with (created by make bootstrap): that alias and its alarms only.
data "aws_iam_role" "codedeploy" {
  for_each = var.functions

  name = "${local.function_names[each.key]}-codedeploy"
}

resource "aws_codedeploy_app" "function" {
  for_each = var.functions

  name             = local.function_names[each.key]
  compute_platform = "Lambda"
}

resource "aws_codedeploy_deployment_group" "function" {
  for_each = var.functions

  app_name               = aws_codedeploy_app.function[each.key].name
  deployment_group_name  = "live"
  service_role_arn       = data.aws_iam_role.codedeploy[each.key].arn
  deployment_config_name = var.traffic_shift

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  # The function's own errors and throttles, and for the HTTP function the API's 5xx rate: any in alarm during the
  # shift sends the alias back.
  alarm_configuration {
    enabled = true
    alarms = concat(
      [aws_cloudwatch_metric_alarm.lambda_errors[each.key].alarm_name, aws_cloudwatch_metric_alarm.lambda_throttles[each.key].alarm_name],
      each.value.http ? [aws_cloudwatch_metric_alarm.api_error_rate["5xx"].alarm_name] : [],
    )
  }
}
