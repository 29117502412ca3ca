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
