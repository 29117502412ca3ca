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

  # The token's `sub` names the repository and either the job's environment, the branch
  # (jobs without an environment) or "pull_request". Exact matches only: no wildcard.
  deploy_subjects = {
    for name, _ in var.deployments : name => concat(
      ["repo:${var.github_repository}:environment:${name}"],
      [for branch in var.deploy_branches : "repo:${var.github_repository}:ref:refs/heads/${branch}"],
    )
  }
  # Pull requests may plan only the deployments that say so (dev in the example): a pull request's
  # own scripts run with the role and can read that deployment's state. Every other deployment's
  # plan role trusts its GitHub environment, whose required reviewers gate it like a deploy.
  plan_subjects = {
    for name, d in var.deployments : name => [
      d.plan_from_pull_requests ? "repo:${var.github_repository}:pull_request" : "repo:${var.github_repository}:environment:${name}",
    ]
  }
}

# Each role's trust: GitHub's tokens for STS, with one of the role's exact subjects.
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
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value.subjects
    }
  }
}
