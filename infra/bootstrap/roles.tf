# Per deployment, two roles for GitHub Actions:
# - <deployment>-deploy runs `make deploy`: the deployer policy (infra/deployer-policy.json),
#   rendered for this account, region, table and state key. Assumable only from the
#   repository's GitHub environment of the same name (and any deploy_branches).
# - <deployment>-plan runs `make plan` for pull requests: reads only, plus the state lock file
#   (infra/planner-policy.json). Assumable only from the repository's pull requests.
locals {
  policy_vars = {
    for name, d in var.deployments : name => {
      region       = d.region
      account_id   = local.account_id
      table_name   = d.table_name
      state_bucket = var.state_bucket
      state_key    = d.state_key
      deployment   = name
    }
  }
}

resource "aws_iam_role" "deploy" {
  for_each = var.deployments

  name                 = "${each.key}-deploy"
  description          = "Runs make deploy DEPLOYMENT=${each.key} from GitHub Actions (${var.github_repository})."
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_policy" "deploy" {
  for_each = var.deployments

  name        = "${each.key}-deploy"
  description = "What make deploy DEPLOYMENT=${each.key} needs: its table, state, function, role, logs, API, alarms and dashboard."
  # Minified: a managed policy holds at most 6,144 characters.
  policy = jsonencode(jsondecode(templatefile("${path.module}/../deployer-policy.json", local.policy_vars[each.key])))
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each = var.deployments

  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.deploy[each.key].arn
}

resource "aws_iam_role" "plan" {
  for_each = var.deployments

  name                 = "${each.key}-plan"
  description          = "Runs make plan DEPLOYMENT=${each.key} for pull requests of ${var.github_repository}: reads only."
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_policy" "plan" {
  for_each = var.deployments

  name        = "${each.key}-plan"
  description = "What make plan DEPLOYMENT=${each.key} needs: reads of what it manages, and the state lock file."
  policy      = jsonencode(jsondecode(templatefile("${path.module}/../planner-policy.json", local.policy_vars[each.key])))
}

resource "aws_iam_role_policy_attachment" "plan" {
  for_each = var.deployments

  role       = aws_iam_role.plan[each.key].name
  policy_arn = aws_iam_policy.plan[each.key].arn
}
