# Per deployment, the backfill worker's role (a Lambda function: its table's data and its own logs, no table
# management) and the backfill state machine's role (it invokes that worker, and runs its own Distributed Map child
# executions: nothing else).
resource "aws_iam_role" "backfill_worker" {
  for_each = var.deployments

  name               = "${each.key}-backfill"
  description        = "The backfill worker of ${each.key}: scans and rewrites its table, checkpoints in it. Managed by scripts/terraform/bootstrap."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "backfill_worker" {
  for_each = var.deployments

  # Scan a segment, re-read an item whose condition failed, write only what changed, conditioned; read the
  # migrations partition (checkpoints, the lock's owner) and write checkpoints in one transaction with a check on it.
  statement {
    sid       = "TableData"
    actions   = ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]
    resources = ["arn:aws:dynamodb:${each.value.region}:${local.account_id}:table/${each.value.table_name}"]
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${each.value.region}:${local.account_id}:log-group:/aws/lambda/${each.key}-backfill:*"]
  }
}

resource "aws_iam_role_policy" "backfill_worker" {
  for_each = var.deployments

  name   = "backfill-worker"
  role   = aws_iam_role.backfill_worker[each.key].id
  policy = data.aws_iam_policy_document.backfill_worker[each.key].json
}

resource "aws_iam_role" "backfill_state_machine" {
  for_each = var.deployments

  name               = "${each.key}-backfills"
  description        = "The backfill state machine of ${each.key}: invokes its worker, runs its segments. Managed by scripts/terraform/bootstrap."
  assume_role_policy = data.aws_iam_policy_document.service_trust["states"].json
}

data "aws_iam_policy_document" "backfill_state_machine" {
  for_each = var.deployments

  statement {
    sid     = "InvokeTheWorker"
    actions = ["lambda:InvokeFunction"]
    resources = [
      "arn:aws:lambda:${each.value.region}:${local.account_id}:function:${each.key}-backfill",
      "arn:aws:lambda:${each.value.region}:${local.account_id}:function:${each.key}-backfill:*",
    ]
  }

  # A Distributed Map runs each segment as a child execution of the state machine itself.
  statement {
    sid       = "RunItsSegments"
    actions   = ["states:StartExecution"]
    resources = ["arn:aws:states:${each.value.region}:${local.account_id}:stateMachine:${each.key}-backfills"]
  }

  statement {
    sid       = "FollowItsSegments"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = ["arn:aws:states:${each.value.region}:${local.account_id}:execution:${each.key}-backfills/*"]
  }
}

resource "aws_iam_role_policy" "backfill_state_machine" {
  for_each = var.deployments

  name   = "run-the-backfill"
  role   = aws_iam_role.backfill_state_machine[each.key].id
  policy = data.aws_iam_policy_document.backfill_state_machine[each.key].json
}
