# Written by `make bootstrap` (scripts/src/aws/bootstrap.ts) from infra/deployments.json into
# dist/terraform/bootstrap.tfvars.json: nothing here is typed in by hand.

variable "region" {
  description = "Region of the state bucket (the deployments' state.region)."
  type        = string
}

variable "state_bucket" {
  description = "Name of the Terraform state bucket every deployment uses (state.bucket in infra/deployments.json)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and dashes."
  }
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the roles; no other repository can."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "deploy_workflow" {
  description = "The workflow file that deploys (.github/workflows/deploy.yml): deploy roles trust jobs of this file only, as committed on a deployment's deploy branches."
  type        = string

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$", var.deploy_workflow))
    error_message = "deploy_workflow must be a file under .github/workflows/."
  }
}

variable "restore_drill_workflow" {
  description = "The workflow file that runs the restore drill on a schedule (.github/workflows/restore-drill.yml): drill roles trust jobs of this file only, as committed on a deployment's deploy branches."
  type        = string

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$", var.restore_drill_workflow))
    error_message = "restore_drill_workflow must be a file under .github/workflows/."
  }
}

variable "pull_request_workflow" {
  description = "The workflow file that plans pull requests (.github/workflows/pull-request.yml): plan roles of deployments with plan_from_pull_requests trust its jobs."
  type        = string

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$", var.pull_request_workflow))
    error_message = "pull_request_workflow must be a file under .github/workflows/."
  }
}

variable "state_key_break_glass_arn" {
  description = "A role few people can assume (MFA, an audited process): it administers the state's KMS key beside whoever ran the bootstrap, so the key outlives that admin's role."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@/_-]+$", var.state_key_break_glass_arn))
    error_message = "state_key_break_glass_arn must be an IAM role ARN."
  }
}

variable "deployments" {
  description = "The AWS deployments of infra/deployments.json: each gets a deploy role (assumable from its GitHub environment), a plan role (from pull requests) and its functions' execution roles. protected: its table declares point-in-time recovery, which its deploy role may then not change (this bootstrap turns it on)."
  type = map(object({
    region                  = string
    table_name              = string
    state_key               = string
    function_name           = string
    tracing                 = bool
    plan_from_pull_requests = bool
    create_user_pool        = bool
    cors_allow_origins      = list(string)
    deploy_branches         = list(string)
    protected               = bool
    alarm_email             = string
  }))

  validation {
    condition     = alltrue([for name in keys(var.deployments) : can(regex("^[a-z][a-z0-9-]{0,30}$", name))])
    error_message = "deployment names must be lowercase letters, digits and dashes, starting with a letter."
  }
  # The key is part of the deploy role's resource ARNs: a "*" or "?" would reach another deployment's state.
  validation {
    condition     = alltrue([for d in var.deployments : can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", d.state_key)) && !strcontains(d.state_key, "..")])
    error_message = "state_key must be path segments of letters, digits, '_', '.' and '-': no wildcard, no '..'."
  }
  validation {
    condition     = alltrue(flatten([for d in var.deployments : [for b in d.deploy_branches : can(regex("^[A-Za-z0-9_./-]+$", b))]])) && alltrue([for d in var.deployments : length(d.deploy_branches) > 0])
    error_message = "deploy_branches must name at least one branch, without wildcards."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com provider in this account, or empty to create one (an account can have only one)."
  type        = string
  default     = ""
}

variable "functions" {
  description = "The service's functions (the modules of src/handlers/), the same in every deployment: the DynamoDB actions each sends (from its config), and its trigger: the HTTP API, the table's stream or a schedule."
  type = map(object({
    table_actions = list(string)
    http          = bool
    stream        = bool
    schedule      = bool
  }))

  validation {
    condition = alltrue(flatten([
      for f in var.functions : [for a in f.table_actions : can(regex("^dynamodb:(GetItem|BatchGetItem|Query|Scan|PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem|DescribeTable)$", a))]
    ]))
    error_message = "table_actions may name only DynamoDB data-plane actions (and DescribeTable): no wildcard, no table management."
  }
  validation {
    condition     = alltrue([for name in keys(var.functions) : can(regex("^[a-z][a-zA-Z0-9]{0,39}$", name)) && !contains(["deploy", "plan"], name)])
    error_message = "function names are camelCase handler file names, and not deploy or plan (the GitHub roles' suffixes)."
  }
}
