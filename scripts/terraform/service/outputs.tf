output "api_url" {
  description = "Base URL of the HTTP API."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "function_name" {
  description = "Name of the HTTP API's function."
  value       = aws_lambda_function.function[local.http_function].function_name
}

output "functions" {
  description = "Every function of the deployment by handler name: its Lambda name, log group and execution role (created by scripts/terraform/bootstrap)."
  value = {
    for name, f in aws_lambda_function.function : name => {
      function_name  = f.function_name
      log_group_name = aws_cloudwatch_log_group.function[name].name
      role_arn       = data.aws_iam_role.function[name].arn
    }
  }
}

output "releases" {
  description = "Per function, what make deploy shifts: the version this apply published, and the CodeDeploy application and group that move its live alias."
  value = {
    for name, f in aws_lambda_function.function : name => {
      function_name    = f.function_name
      version          = f.version
      alias            = aws_lambda_alias.live[name].name
      application      = aws_codedeploy_app.function[name].name
      deployment_group = aws_codedeploy_deployment_group.function[name].deployment_group_name
    }
  }
}

output "backfill_state_machine_arn" {
  description = "The state machine that runs large backfills (make deploy starts it; its executions are in the Step Functions console)."
  value       = aws_sfn_state_machine.backfill.arn
}

output "stream_failure_queues" {
  description = "Per stream consumer, the SQS queue holding the batches it gave up on (their place in the stream)."
  value       = { for name, q in aws_sqs_queue.stream_failures : name => q.url }
}

output "table_arn" {
  description = "ARN of the DynamoDB table the functions use."
  value       = data.aws_dynamodb_table.main.arn
}

output "table_stream_arn" {
  description = "ARN of the table's stream (turned on by the pre-step when a handler reads it)."
  value       = data.aws_dynamodb_table.main.stream_arn
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm of the deployment notifies: subscribe a pager or chat integration here."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_url" {
  description = "The deployment's CloudWatch dashboard."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}"
}
