# The table is created and migrated by the pre-step (scripts/src/pipeline/deploy.ts), never by
# Terraform: this data source is the configuration's only link to it.
data "aws_dynamodb_table" "main" {
  name = var.table_name
}

locals {
  # The SecureString that seals pagination cursors: the pre-step creates it (scripts/src/aws/secretParameter.ts), the HTTP
  # function reads it at its cold start. Only its name is here, never its value, so neither this configuration's
  # state nor the function's environment holds the secret.
  cursor_secret_parameter = "/${var.function_name}/cursor-secret"
}
