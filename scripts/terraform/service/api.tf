# The API itself is the bootstrap's (scripts/terraform/bootstrap/apis.tf): each deploy role's API Gateway
# rights then name its own API and no other. Found here by name; its routes, integration,
# authorizer and stage are managed below.
data "aws_apigatewayv2_apis" "named" {
  name          = var.function_name
  protocol_type = "HTTP"
}

# Deployments made when infra/ still managed the API forget it here instead of destroying it;
# import it into the bootstrap: terraform -chdir=dist/terraform/bootstrap import 'aws_apigatewayv2_api.function["<deployment>"]' <api id>
removed {
  from = aws_apigatewayv2_api.api

  lifecycle {
    destroy = false
  }
}

data "aws_apigatewayv2_api" "api" {
  api_id = one(data.aws_apigatewayv2_apis.named.ids)

  lifecycle {
    precondition {
      condition     = length(data.aws_apigatewayv2_apis.named.ids) == 1
      error_message = "There is no HTTP API named ${var.function_name} (or more than one): an admin creates it with make bootstrap."
    }
  }
}

resource "aws_apigatewayv2_integration" "api" {
  api_id           = data.aws_apigatewayv2_api.api.id
  integration_type = "AWS_PROXY"
  # The live alias: CodeDeploy moves it, version by version, and the API follows.
  integration_uri        = aws_lambda_alias.live[local.http_function].invoke_arn
  payload_format_version = "2.0"
}

# Tokens are verified at the edge: signature against the issuer's keys, iss, aud (or client_id),
# exp and nbf, and a route's scopes. The issuer is the deployment's identity provider ("auth" in
# infra/deployments.json): Cognito (scripts/terraform/bootstrap can create a user pool), Auth0, Entra ID, ...
resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = data.aws_apigatewayv2_api.api.id
  name             = "${var.function_name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audiences
  }
}

# The app's routes, from its own route table (scripts/src/aws/terraform.ts writes var.routes; nothing is kept
# by hand), each with the authorizer and its scopes unless the app declares it public. $default takes
# the rest, behind the authorizer too: the function's router answers 404 and 405 to callers with a token.
resource "aws_apigatewayv2_route" "app" {
  for_each = merge({ "$default" = { public = false, scopes = [] } }, var.routes)

  api_id               = data.aws_apigatewayv2_api.api.id
  route_key            = each.key
  target               = "integrations/${aws_apigatewayv2_integration.api.id}"
  authorization_type   = each.value.public ? "NONE" : "JWT"
  authorizer_id        = each.value.public ? null : aws_apigatewayv2_authorizer.jwt.id
  authorization_scopes = each.value.public || length(each.value.scopes) == 0 ? null : each.value.scopes
}

# Deployments made before routes came from the app keep their $default route instead of replacing it.
moved {
  from = aws_apigatewayv2_route.default
  to   = aws_apigatewayv2_route.app["$default"]
}

# A flood is cut off here, before it spends the function's concurrency and the table's money.
resource "aws_apigatewayv2_stage" "default" {
  api_id      = data.aws_apigatewayv2_api.api.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.api_throttling.burst_limit
    throttling_rate_limit  = var.api_throttling.rate_limit
  }

  # One JSON line per request: who, what, how it ended. Never a body, a header or a token.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      latencyMs      = "$context.responseLatency"
      caller         = "$context.authorizer.claims.sub"
      sourceIp       = "$context.identity.sourceIp"
      requestTime    = "$context.requestTimeEpoch"
      integrationErr = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.function_name}-access"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[local.http_function].function_name
  qualifier     = aws_lambda_alias.live[local.http_function].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${data.aws_apigatewayv2_api.api.execution_arn}/*/*"
}
