# Created before the function so that Lambda never creates it without retention.
resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "api" {
  function_name    = var.function_name
  role             = data.aws_iam_role.api.arn
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  handler          = "index.handler"
  runtime          = "nodejs22.x"
  architectures    = ["arm64"]
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds
  # A ceiling as well as a floor: this function never takes the whole account's concurrency.
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      TABLE_NAME    = data.aws_dynamodb_table.main.name
      CURSOR_SECRET = random_password.cursor_secret.result
      # No NODE_OPTIONS=--enable-source-maps: it makes every cold start parse the maps (+35% module load, make bench).
      # The maps ship in the zip; `make stack` maps a logged stack back to src/.
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.api.name
  }

  # X-Ray active tracing, a per-deployment switch ("tracing" in infra/deployments.json).
  tracing_config {
    mode = var.tracing ? "Active" : "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.api]
}
