output "state_bucket" {
  description = "The Terraform state bucket (state.bucket of every deployment)."
  value       = aws_s3_bucket.state.bucket
}

output "state_kms_key_arn" {
  description = "The state bucket's KMS key: set it as state.kmsKeyArn of every deployment in infra/deployments.json."
  value       = aws_kms_key.state.arn
}

output "deploy_role_arns" {
  description = "Per deployment, the role its GitHub environment assumes to deploy: set it as the environment's AWS_ROLE_ARN variable."
  value       = { for name, _ in var.deployments : name => aws_iam_role.github["${name}-deploy"].arn }
}

output "plan_role_arns" {
  description = "Per deployment, the role pull requests assume to plan: set the dev one as the repository's AWS_PLAN_ROLE_ARN variable."
  value       = { for name, _ in var.deployments : name => aws_iam_role.github["${name}-plan"].arn }
}

output "github_oidc_provider_arn" {
  description = "The account's GitHub Actions OIDC provider."
  value       = local.github_oidc_provider_arn
}

output "function_role_arns" {
  description = "Per deployment/function, its execution role (infra/ reads it by name and passes it to Lambda)."
  value       = { for key, role in aws_iam_role.function : key => role.arn }
}

output "user_pools" {
  description = "Per deployment with createUserPool: the issuer and app client id to put into its \"auth\" in infra/deployments.json."
  value = {
    for name, pool in aws_cognito_user_pool.users : name => {
      issuer    = "https://${pool.endpoint}"
      client_id = aws_cognito_user_pool_client.api[name].id
    }
  }
}

output "api_ids" {
  description = "Per deployment, the id of its HTTP API (infra/ finds it by name; its deploy role may touch no other)."
  value       = { for name, api in aws_apigatewayv2_api.function : name => api.id }
}

output "table_guard_topic_arns" {
  description = "Per deployment, the topic told when anyone turns off its table's point-in-time recovery or deletion protection: subscribe on-call to it."
  value       = { for name, topic in aws_sns_topic.table_guard : name => topic.arn }
}
