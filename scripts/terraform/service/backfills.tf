# Backfills past one machine: a migration's declared backfill, once the table holds more items than the deployment's
# "backfills": { "distributedAboveItems" }, runs on this state machine (Step Functions Distributed Map over scan
# segments, backfill.asl.json), each segment by the kit's backfill worker. make deploy's pre-step uploads the
# release's worker code before a run (its code is the release's migrations), starts the execution under the migration
# lock and records the migration only when it succeeded. Both roles come from make bootstrap.
data "aws_iam_role" "backfill_worker" {
  name = "${var.deployment}-backfill"
}

data "aws_iam_role" "backfill_state_machine" {
  name = "${var.deployment}-backfills"
}

resource "aws_cloudwatch_log_group" "backfill_worker" {
  name              = "/aws/lambda/${var.deployment}-backfill"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "backfill_worker" {
  function_name = "${var.deployment}-backfill"
  description   = "One scan segment of a migration's declared backfill per call (the kit's createBackfillWorker)."
  role          = data.aws_iam_role.backfill_worker.arn
  filename      = var.backfill_worker_zip
  handler       = "index.handler"
  runtime       = "nodejs22.x"
  architectures = ["arm64"]
  memory_size   = 1024
  # Lambda's limit: the worker returns a minute before it, its checkpoints saying where to go on.
  timeout = 900

  environment {
    variables = { TABLE_NAME = data.aws_dynamodb_table.main.name }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.backfill_worker.name
  }

  # The pre-step uploads the release's worker right before a run; an apply never puts an older one back.
  lifecycle {
    ignore_changes = [filename, source_code_hash]
  }

  depends_on = [aws_cloudwatch_log_group.backfill_worker]
}

resource "aws_sfn_state_machine" "backfill" {
  name     = "${var.deployment}-backfills"
  role_arn = data.aws_iam_role.backfill_state_machine.arn
  type     = "STANDARD"
  # The task state names the worker above: the same file runs locally on aws-local-stepfunctions.
  definition = templatefile("${path.module}/backfill.asl.json", { worker_arn = aws_lambda_function.backfill_worker.arn })
}
