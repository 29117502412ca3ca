# Stream consumers: each function with a `stream` trigger reads the table's stream through an event source mapping.
# The stream itself is a table setting the pre-step turns on (NEW_AND_OLD_IMAGES) whenever a handler declares a
# stream trigger; its ARN comes from the table's data source.
locals {
  stream_functions = { for name, f in var.functions : name => f.stream if f.stream != null }
}

# Where a batch goes once its retries or its age run out: AWS puts the batch's place in the stream (shard, first and
# last sequence numbers) here, not the records. 14 days to look at it; the stream itself keeps records 24 h.
resource "aws_sqs_queue" "stream_failures" {
  for_each = local.stream_functions

  name                      = "${local.function_names[each.key]}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_lambda_event_source_mapping" "stream" {
  for_each = local.stream_functions

  event_source_arn = data.aws_dynamodb_table.main.stream_arn
  function_name    = aws_lambda_alias.live[each.key].arn
  # From the oldest record kept: nothing written between the pre-step and this mapping is missed.
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.maximum_batching_window_seconds
  # The handler (the kit's createStreamHandler) reports the first record it could not handle: Lambda retries from it,
  # not the whole batch. A failing batch is split in two to isolate the record at fault; retries and record age are
  # bounded, so one bad record holds its shard up for a while, never for the stream's whole 24 hours.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = each.value.maximum_retry_attempts
  maximum_record_age_in_seconds  = each.value.maximum_record_age_in_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures[each.key].arn
    }
  }

  lifecycle {
    precondition {
      condition     = data.aws_dynamodb_table.main.stream_enabled && data.aws_dynamodb_table.main.stream_view_type == "NEW_AND_OLD_IMAGES"
      error_message = "Table ${var.table_name} has no NEW_AND_OLD_IMAGES stream, which ${local.function_names[each.key]} reads: make deploy's pre-step turns it on; run it (or make migrate) before Terraform."
    }
  }
}

# Any batch on the failure queue is data a consumer gave up on: someone looks, fixes, and replays it.
resource "aws_cloudwatch_metric_alarm" "stream_failures" {
  for_each = local.stream_functions

  alarm_name          = "${local.function_names[each.key]}-failed-batches"
  alarm_description   = "The stream consumer ${local.function_names[each.key]} gave up on at least one batch: its place in the stream is on the queue ${aws_sqs_queue.stream_failures[each.key].name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.stream_failures[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# A consumer falling behind: the age of the last record it read, at its oldest in 5 minutes.
resource "aws_cloudwatch_metric_alarm" "stream_iterator_age" {
  for_each = local.stream_functions

  alarm_name          = "${local.function_names[each.key]}-iterator-age"
  alarm_description   = "The stream consumer ${local.function_names[each.key]} is more than ${var.alarm_thresholds.stream_iterator_age_seconds} s behind the table's writes, for 3 periods of 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.alarm_thresholds.stream_iterator_age_seconds * 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
