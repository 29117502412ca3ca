# Per deployment and per function (each module of src/handlers/), the function's execution role and its policy;
# per scheduled function, the role EventBridge Scheduler invokes it with. They live here, created by an admin running
# `make bootstrap`, and not in infra/: no CI role can create a role, write a role's policy or change its trust, so
# none can widen what a function may do or make itself an admin through one. `make deploy` only passes these roles on
# (iam:PassRole, to Lambda and to Scheduler).
#
# Each function's DynamoDB actions come from its handler module (`config.dynamodbActions`, passed by make bootstrap):
# exactly the data-plane calls it sends, which the permission test (scripts/checks/lambdaPermissions.test.ts) checks
# against what a walkthrough of that function really sends. No table management: migrations run in the pre-step.
# Run `make bootstrap` again when a function is added or its actions change.
locals {
  # "<deployment>/<function>" => what that function's role needs.
  function_roles = merge([
    for deployment, d in var.deployments : {
      for name, f in var.functions : "${deployment}/${name}" => merge(f, {
        deployment    = deployment
        name          = name
        function_name = "${deployment}-${name}"
        region        = d.region
        table_arn     = "arn:aws:dynamodb:${d.region}:${local.account_id}:table/${d.table_name}"
      })
    }
  ]...)
  scheduled_roles = { for key, f in local.function_roles : key => f if f.schedule }
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# The services that assume a role of ours on this account's behalf: CodeDeploy (shifting an alias), EventBridge
# Scheduler (invoking a job) and Step Functions (running a backfill), each only for this account's own resources.
data "aws_iam_policy_document" "service_trust" {
  for_each = toset(["codedeploy", "scheduler", "states"])

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["${each.key}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_roles

  name               = each.value.function_name
  description        = "Execution role of ${each.value.function_name}: its table's data and its own logs. Managed by scripts/terraform/bootstrap."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "function" {
  for_each = local.function_roles

  dynamic "statement" {
    for_each = length(each.value.table_actions) > 0 ? [1] : []
    content {
      sid       = "TableData"
      actions   = each.value.table_actions
      resources = [each.value.table_arn, "${each.value.table_arn}/index/*"]
    }
  }

  # What the event source mapping reads the stream with, as the function: on the table's streams only.
  dynamic "statement" {
    for_each = each.value.stream ? [1] : []
    content {
      sid       = "ReadTheTableStream"
      actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
      resources = ["${each.value.table_arn}/stream/*"]
    }
  }

  # ListStreams has no resource-level permissions: AWS accepts only "*" for it.
  dynamic "statement" {
    for_each = each.value.stream ? [1] : []
    content {
      sid       = "ListStreams"
      actions   = ["dynamodb:ListStreams"]
      resources = ["*"]
    }
  }

  # The on-failure destination: the mapping sends a given-up batch's place in the stream with the function's role.
  dynamic "statement" {
    for_each = each.value.stream ? [1] : []
    content {
      sid       = "SendFailedBatches"
      actions   = ["sqs:SendMessage"]
      resources = ["arn:aws:sqs:${each.value.region}:${local.account_id}:${each.value.function_name}-failures"]
    }
  }

  # The HTTP function's cursor secret (a SecureString under the AWS managed key, whose key policy lets the account's
  # principals decrypt through SSM): this role alone reads it.
  dynamic "statement" {
    for_each = each.value.http ? [1] : []
    content {
      sid       = "ReadTheCursorSecret"
      actions   = ["ssm:GetParameter"]
      resources = ["arn:aws:ssm:${each.value.region}:${local.account_id}:parameter/${each.value.function_name}/cursor-secret"]
    }
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
  for_each = local.function_roles

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
  for_each = { for key, f in local.function_roles : key => f if var.deployments[f.deployment].tracing }

  name   = "xray-traces"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.tracing.json
}

# The scheduler's role per scheduled function: assumable by EventBridge Scheduler for this account only, and
# allowed to invoke that one function.
resource "aws_iam_role" "scheduler" {
  for_each = local.scheduled_roles

  name               = "${each.value.function_name}-scheduler"
  description        = "EventBridge Scheduler invokes ${each.value.function_name} with it, and nothing else. Managed by scripts/terraform/bootstrap."
  assume_role_policy = data.aws_iam_policy_document.service_trust["scheduler"].json
}

data "aws_iam_policy_document" "scheduler" {
  for_each = local.scheduled_roles

  statement {
    sid     = "InvokeTheJob"
    actions = ["lambda:InvokeFunction"]
    # The schedule invokes the live alias (the version CodeDeploy released), never $LATEST.
    resources = ["arn:aws:lambda:${each.value.region}:${local.account_id}:function:${each.value.function_name}:live"]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  for_each = local.scheduled_roles

  name   = "invoke-the-job"
  role   = aws_iam_role.scheduler[each.key].id
  policy = data.aws_iam_policy_document.scheduler[each.key].json
}
