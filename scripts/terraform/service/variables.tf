variable "deployment" {
  description = "Name of the deployment (a key of infra/deployments.json), used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.deployment))
    error_message = "deployment must be lowercase letters, digits and dashes, starting with a letter, at most 31 characters."
  }
}

variable "function_name" {
  description = "Name of the HTTP API, of its function (<deployment>-<HTTP handler>) and prefix of the deployment's alarm topic and dashboard; set by scripts/src/aws/terraform.ts."
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

  # The same rule as TABLE_NAME_PATTERN in src/kit/src/runtime/config.ts, which checks it before Terraform runs.
  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'."
  }
}

variable "functions" {
  description = <<-EOT
    The service's functions, one per module of src/handlers/ (key: its name; the function is <deployment>-<name>), written by
    scripts/src/aws/terraform.ts from each module's config: its zip (relative to infra/), sizing, and exactly one trigger. http: the
    HTTP API's integration. stream: an event source mapping on the table's stream. schedule: an EventBridge Scheduler schedule.
  EOT
  type = map(object({
    zip             = string
    memory_mb       = number
    timeout_seconds = number
    log_level       = optional(string, "info")
    http            = optional(bool, false)
    stream = optional(object({
      batch_size                      = number
      maximum_retry_attempts          = number
      maximum_record_age_in_seconds   = number
      maximum_batching_window_seconds = optional(number, 0)
    }))
    schedule = optional(object({
      expression = string
      timezone   = optional(string, "UTC")
    }))
  }))

  validation {
    condition     = length([for f in var.functions : f if f.http]) == 1
    error_message = "functions must hold exactly one HTTP function (http = true), the API's."
  }
  validation {
    condition     = alltrue([for f in var.functions : (f.http ? 1 : 0) + (f.stream == null ? 0 : 1) + (f.schedule == null ? 0 : 1) == 1])
    error_message = "each function has exactly one trigger: http, stream or schedule."
  }
  validation {
    condition     = alltrue([for f in var.functions : contains(["debug", "info", "warn", "error"], f.log_level)])
    error_message = "log_level is one of debug, info, warn, error."
  }
  validation {
    condition     = alltrue([for name in keys(var.functions) : can(regex("^[a-z][a-zA-Z0-9]{0,39}$", name))])
    error_message = "function names are camelCase letters and digits (a handler's file name), at most 40."
  }
  validation {
    condition     = alltrue([for f in var.functions : f.memory_mb >= 128 && f.memory_mb <= 10240 && f.timeout_seconds >= 1 && f.timeout_seconds <= (f.http ? 30 : 900)])
    error_message = "memory_mb must be 128 to 10240; timeout_seconds 1 to 900, and at most 30 for the HTTP function (the HTTP API's own limit)."
  }
  validation {
    condition = alltrue([for f in var.functions : f.stream == null || (
      f.stream.batch_size >= 1 && f.stream.batch_size <= 10000 &&
      f.stream.maximum_retry_attempts >= 0 && f.stream.maximum_retry_attempts <= 10000 &&
      f.stream.maximum_record_age_in_seconds >= 60 && f.stream.maximum_record_age_in_seconds <= 604800
    )])
    error_message = "a stream trigger needs batch_size 1-10000, maximum_retry_attempts 0-10000 (bounded: never -1) and maximum_record_age_in_seconds 60-604800."
  }
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
  description = "The app's routes by route key (\"GET /items/{id}\"): public ones need no token, the others a token with one of their scopes (any token when none). Written by scripts/src/aws/terraform.ts from the app's route table."
  type = map(object({
    public = bool
    scopes = list(string)
  }))

  validation {
    condition     = alltrue([for key in keys(var.routes) : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /[^\\s]*$", key))])
    error_message = "every route key must be a method and a path, such as \"GET /items/{id}\"."
  }
}

# The HTTP function's concurrency, the log retention and the stage's throttling have no defaults here: their defaults
# live once, in scripts/src/deployments.ts, and the var file make deploy writes always sets them.
variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for (and the most allowed to) the HTTP function; the others are not reserved. The account keeps at least 100 unreserved: a new account whose quota is still 10 must ask for more first."
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

variable "metrics_namespace" {
  description = "The CloudWatch namespace of the kit's metric lines (embedded metric format); the functions get it as METRICS_NAMESPACE. Written by scripts/src/aws/terraform.ts from the kit's constant."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1 to 255 letters, digits or ._/#- and not start with AWS/."
  }
}

variable "alarm_thresholds" {
  description = "When the alarms fire: function errors per 5 minutes, p99 duration as a share of the timeout, the HTTP API's 5xx and 4xx shares of responses, DynamoDB throttle events per 5 minutes, how far behind the table a stream consumer may be (seconds), a route's p99 latency (ms) and its 5xx per 5 minutes, the consumed units per second as a share of the table's on-demand maximum."
  type = object({
    lambda_errors      = optional(number, 1)
    duration_ratio     = optional(number, 0.8)
    api_5xx_rate       = optional(number, 0.05)
    api_4xx_rate       = optional(number, 0.25)
    dynamodb_throttles = optional(number, 1)
    # Longer than a poisoned record's retries and bisects take, so that one alone does not page.
    stream_iterator_age_seconds = optional(number, 300)
    route_latency_p99_ms        = optional(number, 1000)
    route_5xx                   = optional(number, 5)
    capacity_ratio              = optional(number, 0.8)
  })
  default = {}

  validation {
    condition = (
      var.alarm_thresholds.lambda_errors >= 1 && var.alarm_thresholds.dynamodb_throttles >= 1 && var.alarm_thresholds.stream_iterator_age_seconds >= 1 &&
      var.alarm_thresholds.route_latency_p99_ms >= 1 && var.alarm_thresholds.route_5xx >= 1 &&
      var.alarm_thresholds.capacity_ratio > 0 && var.alarm_thresholds.capacity_ratio <= 1 &&
      var.alarm_thresholds.duration_ratio > 0 && var.alarm_thresholds.duration_ratio <= 1 &&
      var.alarm_thresholds.api_5xx_rate > 0 && var.alarm_thresholds.api_5xx_rate <= 1 &&
      var.alarm_thresholds.api_4xx_rate > 0 && var.alarm_thresholds.api_4xx_rate <= 1
    )
    error_message = "alarm_thresholds: counts and route_latency_p99_ms must be at least 1; duration_ratio, api_5xx_rate, api_4xx_rate and capacity_ratio between 0 (exclusive) and 1."
  }
}

variable "traffic_shift" {
  description = <<-EOT
    How CodeDeploy moves each function's live alias to a new version ("release": { "shift": ... } in infra/deployments.json):
    one of CodeDeploy's predefined Lambda configurations, rolled back automatically on a failure or an alarm.
  EOT
  type        = string
  default     = "CodeDeployDefault.LambdaAllAtOnce"

  validation {
    condition     = can(regex("^CodeDeployDefault\\.Lambda(AllAtOnce|Canary10Percent(5|10|15|30)Minutes|Linear10PercentEvery(1|2|3|10)Minutes?)$", var.traffic_shift))
    error_message = "traffic_shift is one of CodeDeploy's predefined Lambda configurations: CodeDeployDefault.LambdaAllAtOnce, ...Canary10Percent5Minutes (10, 15, 30), ...Linear10PercentEvery1Minute (2, 3, 10 Minutes)."
  }
}

variable "backfill_worker_zip" {
  description = "The backfill worker's zip (the kit's worker over the service's migrations), relative to the root: what creates the function; the pre-step uploads each release's before a run."
  type        = string
}
