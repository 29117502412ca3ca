# The table is created and migrated by the pre-step (scripts/deploy.ts), never by
# Terraform: this data source is the configuration's only link to it.
data "aws_dynamodb_table" "main" {
  name = var.table_name
}

# Signs pagination cursors so that clients cannot forge or alter them. Kept in the
# Terraform state, which lives in the private, encrypted state bucket.
resource "random_password" "cursor_secret" {
  length  = 48
  special = false
}
