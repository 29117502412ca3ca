output "api_url" {
  description = "Base URL of the HTTP API."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "function_name" {
  description = "Name of the API Lambda function."
  value       = aws_lambda_function.api.function_name
}

output "role_arn" {
  description = "ARN of the API function's execution role (created by infra/bootstrap)."
  value       = data.aws_iam_role.api.arn
}

output "table_arn" {
  description = "ARN of the DynamoDB table the function uses."
  value       = data.aws_dynamodb_table.main.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the API function."
  value       = aws_cloudwatch_log_group.api.name
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm of the deployment notifies: subscribe a pager or chat integration here."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_url" {
  description = "The deployment's CloudWatch dashboard."
  value       = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.main.dashboard_name}"
}
