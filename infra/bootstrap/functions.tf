# Per deployment, the API function's execution role and its policies. They live here, created
# by an admin running `make bootstrap`, and not in infra/: no CI role can create a role, write
# a role's policy or change its trust, so none can widen what a function may do or make itself
# an admin through one. `make deploy` only passes this role to Lambda (iam:PassRole).
#
# The DynamoDB actions come from the app (`dynamodbActions` in src/app/contract.ts, passed by
# make bootstrap): exactly the data-plane calls its handler sends, which the permission test
# (test/wiring/lambdaPermissions.test.ts) checks against what a walkthrough really sends. No
# table management: migrations run in the pre-step. Run `make bootstrap` again when they change.

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = var.deployments

  name               = each.value.function_name
  description        = "Execution role of ${each.value.function_name}: its table's data and its own logs. Managed by infra/bootstrap."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "function" {
  for_each = var.deployments

  statement {
    sid     = "TableData"
    actions = var.function_table_actions
    resources = [
      "arn:aws:dynamodb:${each.value.region}:${local.account_id}:table/${each.value.table_name}",
      "arn:aws:dynamodb:${each.value.region}:${local.account_id}:table/${each.value.table_name}/index/*",
    ]
  }

  statement {
    sid = "OwnLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["arn:aws:logs:${each.value.region}:${local.account_id}:log-group:/aws/lambda/${each.value.function_name}:*"]
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = var.deployments

  name   = "table-data-and-logs"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

# Only for deployments with tracing: the two calls Lambda makes to send trace segments. X-Ray
# has no resource-level permissions for them (its actions take only "*"), so they live in a
# policy of their own that grants nothing else.
data "aws_iam_policy_document" "tracing" {
  statement {
    sid = "SendTraces"
    actions = [
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "tracing" {
  for_each = { for name, d in var.deployments : name => d if d.tracing }

  name   = "xray-traces"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.tracing.json
}
