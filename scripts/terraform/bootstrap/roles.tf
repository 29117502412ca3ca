# Per deployment, two roles for GitHub Actions:
# - <deployment>-deploy runs `make deploy`: the deployer policy (scripts/terraform/bootstrap/policies/deployer-policy.json),
#   rendered for this account, region, table and state key, and one per function
#   (scripts/terraform/bootstrap/policies/deployer-function-policy.json). Assumable only by the deploy workflow, from the deployment's
#   deploy branches, in the repository's GitHub environment of the same name (github.tf). Statements
#   named Unprotected* are kept only for deployments whose table does not declare point-in-time
#   recovery: a protected table's deploy role may not change its backups at all (this bootstrap turns
#   them on: scripts/src/aws/protectTables.ts), so no deploy can turn them off.
# - <deployment>-plan runs `make plan`: reads only (scripts/terraform/bootstrap/policies/planner-policy.json; plans take no
#   state lock; with scripts/terraform/bootstrap/policies/planner-function-policy.json per function). Assumable from the repository's pull requests for deployments that allow it,
#   otherwise only from the deployment's GitHub environment.
# - <deployment>-drill runs `make restore-drill` (scripts/terraform/bootstrap/policies/restore-drill-policy.json), for deployments
#   whose table declares point-in-time recovery: restores the table into scratch tables named <table>-drill-*, reads and
#   deletes those, and changes nothing of the table itself. Assumable only by the restore drill workflow, as committed on
#   the deployment's deploy branches (a scheduled job: no environment, so no reviewer holds it).
locals {
  roles = merge(
    {
      for name, _ in var.deployments : "${name}-deploy" => {
        deployment  = name
        policy_file = "deployer-policy.json"
        subjects    = local.deploy_subjects[name]
        description = "Runs make deploy DEPLOYMENT=${name} from GitHub Actions (${var.github_repository})."
      }
    },
    {
      for name, _ in var.deployments : "${name}-plan" => {
        deployment  = name
        policy_file = "planner-policy.json"
        subjects    = local.plan_subjects[name]
        description = "Runs make plan DEPLOYMENT=${name} for pull requests of ${var.github_repository}: reads only."
      }
    },
    {
      for name, d in var.deployments : "${name}-drill" => {
        deployment  = name
        policy_file = "restore-drill-policy.json"
        subjects    = local.drill_subjects[name]
        description = "Runs make restore-drill DEPLOYMENT=${name} from GitHub Actions (${var.github_repository}): scratch tables only."
      } if d.protected
    },
  )

  policy_vars = {
    for name, d in var.deployments : name => {
      region       = d.region
      account_id   = local.account_id
      table_name   = d.table_name
      state_bucket = var.state_bucket
      state_key    = d.state_key
      # The HTTP API's name, and its function's: its dashboard, alarm topic and access log are named after it.
      api_name     = d.function_name
      api_id       = aws_apigatewayv2_api.function[name].id
      state_key_id = aws_kms_key.state.arn
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = local.roles

  name                 = each.key
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600
}

locals {
  github_policies = {
    for role, r in local.roles : role => {
      Version = "2012-10-17"
      Statement = [
        for statement in jsondecode(templatefile("${path.module}/policies/${r.policy_file}", local.policy_vars[r.deployment])).Statement : statement
        if !startswith(statement.Sid, "Unprotected") || !var.deployments[r.deployment].protected
      ]
    }
  }
}

resource "aws_iam_policy" "github" {
  for_each = local.roles

  name        = each.key
  description = each.value.description
  # Minified: a managed policy holds at most 6,144 characters.
  policy = jsonencode(local.github_policies[each.key])
}

# Per role and per function of the service, what deploying (or planning) that function touches: its role (passed to
# Lambda only), the function, its log group and alarms; for a stream consumer its failure queue and event source
# mapping, for a scheduled job its schedule and the scheduler's role (passed to Scheduler only). The backfill worker
# (<deployment>-backfill) is a function too, with its state machine and that machine's role (passed to Step Functions
# only) and no CodeDeploy release. Statements named Http*, Stream*, Schedule* and Backfill* are kept only for functions
# of that kind, Release* for the service's own. One managed policy per function: a role holds 10 by default, so a
# service of more than 8 functions asks for the quota to be raised (up to 20).
locals {
  policy_functions = merge(
    { for name, f in var.functions : name => { http = f.http, stream = f.stream, schedule = f.schedule, backfill = false } },
    { backfill = { http = false, stream = false, schedule = false, backfill = true } },
  )
  github_function_policies = merge([
    for role, r in local.roles : {
      for name, f in local.policy_functions : "${role}/${name}" => {
        role = role
        name = name
        statements = [
          for statement in jsondecode(templatefile("${path.module}/policies/${replace(r.policy_file, "-policy", "-function-policy")}", {
            region        = var.deployments[r.deployment].region
            account_id    = local.account_id
            function_name = "${r.deployment}-${name}"
          })).Statement : merge(statement, { Sid = "${statement.Sid}${title(name)}" })
          if(!startswith(statement.Sid, "Http") || f.http) && (!startswith(statement.Sid, "Stream") || f.stream) && (!startswith(statement.Sid, "Schedule") || f.schedule) && (!startswith(statement.Sid, "Backfill") || f.backfill) && (!startswith(statement.Sid, "Release") || !f.backfill)
        ]
      }
    } if r.policy_file != "restore-drill-policy.json"
  ]...)
}

resource "aws_iam_policy" "github_function" {
  for_each = local.github_function_policies

  name        = replace(each.key, "/", "-")
  description = "What ${each.value.role} needs for the function ${each.value.name}."
  policy      = jsonencode({ Version = "2012-10-17", Statement = each.value.statements })
}

resource "aws_iam_role_policy_attachment" "github_function" {
  for_each = local.github_function_policies

  role       = aws_iam_role.github[each.value.role].name
  policy_arn = aws_iam_policy.github_function[each.key].arn
}

resource "aws_iam_role_policy_attachment" "github" {
  for_each = local.roles

  role       = aws_iam_role.github[each.key].name
  policy_arn = aws_iam_policy.github[each.key].arn
}
