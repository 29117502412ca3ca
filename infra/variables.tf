variable "deployment" {
  description = "Name of the deployment (a key of infra/deployments.json), used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.deployment))
    error_message = "deployment must be lowercase letters, digits and dashes, starting with a letter, at most 31 characters."
  }
}

variable "function_name" {
  description = "Name of the Lambda function and its role, log group and API: <deployment>-<handler>, set by scripts/terraform.ts from the one handler the build produces."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-_]{1,64}$", var.function_name))
    error_message = "function_name must be 1 to 64 letters, digits, dashes or underscores (Lambda's rule)."
  }
}

variable "region" {
  description = "AWS region of the table and of everything this configuration creates."
  type        = string
}

variable "table_name" {
  description = "Name of the existing DynamoDB table, created and migrated by the pre-step before Terraform runs."
  type        = string

  # The same rule as TABLE_NAME_PATTERN in src/lib/runtime/config.ts, which checks it before Terraform runs.
  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'."
  }
}

variable "lambda_zip" {
  description = "Path to the handler's zip built by `make build` (relative to infra/), set by scripts/terraform.ts."
  type        = string
}

variable "jwt_issuer" {
  description = "The identity provider whose tokens the API accepts: the exact `iss` of its tokens, an https URL (for Cognito, https://cognito-idp.<region>.amazonaws.com/<user pool id>)."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.jwt_issuer))
    error_message = "jwt_issuer must be an https URL: the exact iss of the provider's tokens."
  }
}

variable "jwt_audiences" {
  description = "Accepted audiences: a token's aud (or client_id) must be one of them (for Cognito, the app client id)."
  type        = list(string)

  validation {
    condition     = length(var.jwt_audiences) > 0 && alltrue([for a in var.jwt_audiences : length(a) > 0])
    error_message = "jwt_audiences must name at least one audience."
  }
}

variable "routes" {
  description = "The app's routes by route key (\"GET /users/{email}\"): public ones need no token, the others a token with one of their scopes (any token when none). Written by scripts/terraform.ts from the app's route table."
  type = map(object({
    public = bool
    scopes = list(string)
  }))

  validation {
    condition     = alltrue([for key in keys(var.routes) : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /[^\\s]*$", key))])
    error_message = "every route key must be a method and a path, such as \"GET /users/{email}\"."
  }
}

# The function's sizing, concurrency and log retention, and the stage's throttling, have no defaults here: their
# defaults live once, in scripts/deployments.ts, and the var file make deploy writes always sets them.
variable "lambda_memory_mb" {
  description = "Memory of the API function in MB; CPU grows with it."
  type        = number

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the API function in seconds. The HTTP API gives up after 30 s whatever this says."
  type        = number

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 30
    error_message = "lambda_timeout_seconds must be between 1 and 30 (the HTTP API's own limit)."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for (and the most allowed to) the API function. The account keeps at least 100 unreserved: a new account whose quota is still 10 must ask for more first."
  type        = number

  validation {
    condition     = var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency
    error_message = "lambda_reserved_concurrency must be a whole number of at least 1."
  }
}

variable "api_throttling" {
  description = "The HTTP API stage's default route throttling: requests per second (rate_limit) and the burst above it."
  type = object({
    burst_limit = number
    rate_limit  = number
  })

  validation {
    condition     = var.api_throttling.burst_limit >= 1 && var.api_throttling.rate_limit >= 1
    error_message = "api_throttling: burst_limit and rate_limit must be at least 1."
  }
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps the function's logs."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tags" {
  description = "Tags applied to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "tracing" {
  description = "X-Ray active tracing of the function (\"tracing\" in infra/deployments.json)."
  type        = bool
  default     = false
}

variable "alarm_email" {
  description = "An email address subscribed to the alarm topic (AWS mails a link to confirm); empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address, or empty."
  }
}

variable "alarm_thresholds" {
  description = "When the alarms fire: function errors per 5 minutes, p99 duration as a share of the timeout, the HTTP API's 5xx and 4xx shares of responses, DynamoDB throttle events per 5 minutes."
  type = object({
    lambda_errors      = optional(number, 1)
    duration_ratio     = optional(number, 0.8)
    api_5xx_rate       = optional(number, 0.05)
    api_4xx_rate       = optional(number, 0.25)
    dynamodb_throttles = optional(number, 1)
  })
  default = {}

  validation {
    condition = (
      var.alarm_thresholds.lambda_errors >= 1 && var.alarm_thresholds.dynamodb_throttles >= 1 &&
      var.alarm_thresholds.duration_ratio > 0 && var.alarm_thresholds.duration_ratio <= 1 &&
      var.alarm_thresholds.api_5xx_rate > 0 && var.alarm_thresholds.api_5xx_rate <= 1 &&
      var.alarm_thresholds.api_4xx_rate > 0 && var.alarm_thresholds.api_4xx_rate <= 1
    )
    error_message = "alarm_thresholds: counts must be at least 1, duration_ratio, api_5xx_rate and api_4xx_rate between 0 (exclusive) and 1."
  }
}
