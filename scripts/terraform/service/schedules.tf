# Scheduled jobs: each function with a `schedule` trigger is invoked by an EventBridge Scheduler schedule, through
# a role of its own (created by make bootstrap) that may invoke that function and nothing else.
locals {
  scheduled_functions = { for name, f in var.functions : name => f.schedule if f.schedule != null }
}

data "aws_iam_role" "scheduler" {
  for_each = local.scheduled_functions

  name = "${local.function_names[each.key]}-scheduler"
}

resource "aws_scheduler_schedule" "function" {
  for_each = local.scheduled_functions

  name                         = local.function_names[each.key]
  description                  = "Runs ${local.function_names[each.key]} (src/handlers/${each.key}.ts)."
  schedule_expression          = each.value.expression
  schedule_expression_timezone = each.value.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_alias.live[each.key].arn
    role_arn = data.aws_iam_role.scheduler[each.key].arn
    input    = jsonencode({ source = "schedule", schedule = local.function_names[each.key] })

    # Scheduler only hands the event over (Lambda runs it asynchronously, and retries a failed run twice itself);
    # a run that fails is the function's error alarm's.
    retry_policy {
      maximum_retry_attempts = 0
    }
  }
}
