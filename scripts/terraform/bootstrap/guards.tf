# Per deployment, a notification whenever anyone turns off its table's point-in-time recovery or
# deletion protection: the deploy role never does (the pre-step refuses, and a protected table's
# deploy role holds no right to its backups), so such a change is a person's, and someone should
# know. EventBridge sees it in CloudTrail's record of the call: the account needs a trail logging
# management events (most organisations have one; without it, EventBridge gets no API calls).
# Here, not in infra/: the deploy role must not be able to silence the alarm that watches it.
locals {
  # The table's name as a request may give it: by name, or by ARN.
  guarded_tables = {
    for name, d in var.deployments : name => [d.table_name, "arn:aws:dynamodb:${d.region}:${local.account_id}:table/${d.table_name}"]
  }
}

resource "aws_cloudwatch_event_rule" "table_protection_off" {
  for_each = var.deployments
  region   = each.value.region

  name        = "${each.key}-table-protection-off"
  description = "Point-in-time recovery or deletion protection of ${each.value.table_name} turned off (CloudTrail)."
  event_pattern = jsonencode({
    source        = ["aws.dynamodb"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["dynamodb.amazonaws.com"]
      "$or" = [
        {
          eventName         = ["UpdateContinuousBackups"]
          requestParameters = { tableName = local.guarded_tables[each.key], pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled = [false] } }
        },
        {
          eventName         = ["UpdateTable"]
          requestParameters = { tableName = local.guarded_tables[each.key], deletionProtectionEnabled = [false] }
        },
      ]
    }
  })
}

# Not encrypted with the AWS managed SNS key: EventBridge cannot use that key, and what it publishes
# is who turned what off, when.
resource "aws_sns_topic" "table_guard" {
  for_each = var.deployments
  region   = each.value.region

  name = "${each.key}-table-guard"
}

data "aws_iam_policy_document" "table_guard" {
  for_each = var.deployments

  statement {
    sid       = "ThisRulePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.table_guard[each.key].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.table_protection_off[each.key].arn]
    }
  }
}

resource "aws_sns_topic_policy" "table_guard" {
  for_each = var.deployments
  region   = each.value.region

  arn    = aws_sns_topic.table_guard[each.key].arn
  policy = data.aws_iam_policy_document.table_guard[each.key].json
}

resource "aws_cloudwatch_event_target" "table_protection_off" {
  for_each = var.deployments
  region   = each.value.region

  rule = aws_cloudwatch_event_rule.table_protection_off[each.key].name
  arn  = aws_sns_topic.table_guard[each.key].arn
}

# The deployment's alarm address ("alarms": { "email" } in infra/deployments.json), if it has one;
# AWS mails a link to confirm. Subscribe a pager to the topic for anything more.
resource "aws_sns_topic_subscription" "table_guard_email" {
  for_each = { for name, d in var.deployments : name => d if d.alarm_email != "" }
  region   = each.value.region

  topic_arn = aws_sns_topic.table_guard[each.key].arn
  protocol  = "email"
  endpoint  = each.value.alarm_email
}
