# The functions' execution roles (and the scheduler's roles) and their policies are not managed here: an admin
# creates them with `make bootstrap` (scripts/terraform/bootstrap/functions.tf), so that the role running `make deploy` needs no
# right to write IAM roles or policies. This configuration only reads the roles and passes them on.
data "aws_iam_role" "function" {
  for_each = var.functions

  name = local.function_names[each.key]
}

