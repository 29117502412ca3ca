# Per deployment and function, the role CodeDeploy shifts that function's live alias with (make deploy starts the
# shift). It may read and move that one function's aliases and read its alarms, which stop a shift and roll it back:
# nothing else. (AWS's managed AWSCodeDeployRoleForLambda reaches every function and topic of the account.)
resource "aws_iam_role" "codedeploy" {
  for_each = local.function_roles

  name               = "${each.value.function_name}-codedeploy"
  description        = "CodeDeploy shifts the live alias of ${each.value.function_name} with it. Managed by scripts/terraform/bootstrap."
  assume_role_policy = data.aws_iam_policy_document.service_trust["codedeploy"].json
}

data "aws_iam_policy_document" "codedeploy" {
  for_each = local.function_roles

  statement {
    sid     = "ShiftTheLiveAlias"
    actions = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]
    resources = [
      "arn:aws:lambda:${each.value.region}:${local.account_id}:function:${each.value.function_name}",
      "arn:aws:lambda:${each.value.region}:${local.account_id}:function:${each.value.function_name}:*",
    ]
  }

  # The function's own alarms, and for the HTTP function the API's (named after it): <function>-*.
  statement {
    sid       = "ReadTheAlarmsThatStopAShift"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:aws:cloudwatch:${each.value.region}:${local.account_id}:alarm:${each.value.function_name}-*"]
  }
}

resource "aws_iam_role_policy" "codedeploy" {
  for_each = local.function_roles

  name   = "shift-the-live-alias"
  role   = aws_iam_role.codedeploy[each.key].id
  policy = data.aws_iam_policy_document.codedeploy[each.key].json
}
