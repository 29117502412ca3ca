# The function's execution role and its policies are not managed here: an admin creates them
# with `make bootstrap` (infra/bootstrap/functions.tf), so that the role running `make deploy`
# needs no right to write IAM roles or policies. This configuration only reads the role and
# passes it to Lambda.
data "aws_iam_role" "api" {
  name = var.function_name
}
