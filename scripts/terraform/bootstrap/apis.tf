# Per deployment, the HTTP API itself: its routes, integration, JWT authorizer and stage are
# infra/'s, managed by `make deploy`. API ids are random, so a deploy role's policy written
# before the API exists could only name every API in the region, and dev's role could then
# delete or repoint prod's. Created here, each deploy role names its own API and no other.
# CORS is a property of the API, so it lives here too: run `make bootstrap` when it changes.
resource "aws_apigatewayv2_api" "function" {
  for_each = var.deployments
  # Each deployment's own region (the provider's is the state bucket's).
  region = each.value.region

  name          = each.value.function_name
  protocol_type = "HTTP"

  # Off unless the deployment names browser origins ("api": { "corsOrigins": [...] }).
  dynamic "cors_configuration" {
    for_each = length(each.value.cors_allow_origins) > 0 ? [1] : []
    content {
      allow_origins = each.value.cors_allow_origins
      allow_methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
      allow_headers = ["authorization", "content-type"]
      max_age       = 600
    }
  }
}
