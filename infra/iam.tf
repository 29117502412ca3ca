data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api" {
  name               = var.function_name
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

# Exactly the data-plane calls the handler makes: connect() queries the migrations partition
# (and sends DescribeTable only to explain a failed query); the app's routes send the rest
# (transactions need PutItem and ConditionCheckItem; deleting a user uses BatchWriteItem).
# test/app/handlerPermissions.test.ts fails when this list and the routes disagree.
# No table management: migrations run in the pre-step.
data "aws_iam_policy_document" "api" {
  statement {
    sid = "TableData"
    actions = [
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [
      data.aws_dynamodb_table.main.arn,
      "${data.aws_dynamodb_table.main.arn}/index/*",
    ]
  }

  statement {
    sid = "OwnLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = ["${aws_cloudwatch_log_group.api.arn}:*"]
  }
}

resource "aws_iam_role_policy" "api" {
  name   = "table-data-and-logs"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.api.json
}

# Only when tracing is on: the two calls Lambda makes to send trace segments. X-Ray has no
# resource-level permissions for them (its actions take only "*"), so they live in a policy
# of their own that exists only for deployments with tracing, and grant nothing else.
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
  count  = var.tracing ? 1 : 0
  name   = "xray-traces"
  role   = aws_iam_role.api.id
  policy = data.aws_iam_policy_document.tracing.json
}
