# GitHub Actions' OIDC identity provider: workflows get short-lived AWS credentials by
# presenting a token GitHub signs for the job, so no AWS key is ever stored in GitHub.
# AWS verifies the token's issuer through its own trusted CAs, so no thumbprint is set.
resource "aws_iam_openid_connect_provider" "github" {
  count          = var.github_oidc_provider_arn == "" ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  github_oidc_provider_arn = var.github_oidc_provider_arn != "" ? var.github_oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn
  account_id               = data.aws_caller_identity.current.account_id

  # The repository's OIDC subject is customised to name the job's workflow file and ref as well
  # (include_claim_keys repo, context, job_workflow_ref: make bootstrap checks it through GitHub's API):
  #   repo:<owner/name>:environment:<env>:job_workflow_ref:<owner/name>/<workflow file>@<ref>
  # So a deploy role trusts only the deploy workflow, as committed on its deploy branches, running in
  # its environment: a pull request that adds `environment: dev` to a workflow of its own, or edits the
  # deploy workflow, runs from refs/pull/... and matches none of these.
  workflow_ref = { for name, d in var.deployments : name => [for branch in d.deploy_branches : "@refs/heads/${branch}"] }
  deploy_subjects = {
    for name, d in var.deployments : name => [
      for ref in local.workflow_ref[name] : "repo:${var.github_repository}:environment:${name}:job_workflow_ref:${var.github_repository}/${var.deploy_workflow}${ref}"
    ]
  }
  # Pull requests may plan only the deployments that say so (dev in the example), from the pull request
  # workflow; a pull request's own scripts run with the role and can read that deployment's state. The
  # pull request's ref is refs/pull/<number>/merge: the one wildcard in any trust here. Every other
  # deployment's plan role trusts what its deploy role trusts.
  # The restore drill runs on a schedule, outside any environment: its context is the branch it runs on.
  drill_subjects = {
    for name, d in var.deployments : name => [
      for branch in d.deploy_branches : "repo:${var.github_repository}:ref:refs/heads/${branch}:job_workflow_ref:${var.github_repository}/${var.restore_drill_workflow}@refs/heads/${branch}"
    ]
  }
  plan_subjects = {
    for name, d in var.deployments : name => d.plan_from_pull_requests ? [
      "repo:${var.github_repository}:pull_request:job_workflow_ref:${var.github_repository}/${var.pull_request_workflow}@refs/pull/*/merge",
    ] : local.deploy_subjects[name]
  }
}

# Each role's trust: GitHub's tokens for STS, with one of the role's subjects. StringLike, so that a pull
# request's number can vary; every other subject is a plain string (no "*" or "?"), matched exactly.
data "aws_iam_policy_document" "github_trust" {
  for_each = local.roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value.subjects
    }
  }
}
