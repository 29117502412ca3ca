# Partial configuration: bucket, key and region come from infra/deployments.json
# through `terraform init -backend-config=...` (scripts/src/pipeline/deploy.ts), one state per deployment.
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
