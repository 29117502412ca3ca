# Written by `make bootstrap` (scripts/bootstrap.ts) from infra/deployments.json into
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

variable "deploy_branches" {
  description = "Branches whose workflow jobs without a GitHub environment may deploy every deployment (environments are the usual way; empty by default)."
  type        = list(string)
  default     = []
}

variable "deployments" {
  description = "The AWS deployments of infra/deployments.json: each gets a deploy role (assumable from its GitHub environment), a plan role (from pull requests) and its function's execution role."
  type = map(object({
    region                  = string
    table_name              = string
    state_key               = string
    function_name           = string
    tracing                 = bool
    plan_from_pull_requests = bool
    create_user_pool        = bool
    cors_allow_origins      = list(string)
  }))

  validation {
    condition     = alltrue([for name in keys(var.deployments) : can(regex("^[a-z][a-z0-9-]{0,30}$", name))])
    error_message = "deployment names must be lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com provider in this account, or empty to create one (an account can have only one)."
  type        = string
  default     = ""
}

variable "functions" {
  description = "The service's functions (the modules of src/handlers/), the same in every deployment: the DynamoDB actions each sends (from its config), and whether it reads the table's stream or runs on a schedule."
  type = map(object({
    table_actions = list(string)
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
