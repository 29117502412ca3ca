# Optional, for a deployment with "auth": { "createUserPool": true } in infra/deployments.json and no
# identity provider of its own: a Cognito user pool and an app client. Put the `user_pools` output's
# issuer and client id into that deployment's "auth" ("issuer", "audiences"); the API accepts their
# ID tokens (aud = client id). A caller is the token's `sub`; its `email` counts only with
# `email_verified` (docs/security.md). So a changed address stays unverified, and off the tokens'
# verified email, until its owner confirms the code sent to it, and the app client cannot write the
# address at all. Users are created by an admin (no self sign-up until you turn it on), sign in with
# SRP, and may add an authenticator app.
locals {
  user_pool_deployments = { for name, d in var.deployments : name => d if d.create_user_pool }
}

resource "aws_cognito_user_pool" "users" {
  for_each = local.user_pool_deployments
  region   = each.value.region

  name                     = "${each.key}-users"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  deletion_protection      = "ACTIVE"
  mfa_configuration        = "OPTIONAL"

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = false
    temporary_password_validity_days = 3
  }

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  # A changed email takes effect only once the code sent to the new address is entered: until then the old one stays.
  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

resource "aws_cognito_user_pool_client" "api" {
  for_each = aws_cognito_user_pool.users
  region   = each.value.region

  name                          = "${each.key}-api"
  user_pool_id                  = each.value.id
  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  # Users change their name through the app client, never their address: that takes an admin (AdminUpdateUserAttributes).
  read_attributes        = ["email", "email_verified", "name"]
  write_attributes       = ["name"]
  id_token_validity      = 60
  access_token_validity  = 60
  refresh_token_validity = 30

  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }
}
