# Bootstrap: run once per AWS account, by a person with administrator rights, with
# `make bootstrap`. It creates what every other Terraform run here needs and cannot
# create for itself: the state bucket, GitHub's OIDC provider and the deploy roles.
#
# Its own state is LOCAL: it cannot live in a bucket it creates. make bootstrap keeps it in the
# service's repository, infra/bootstrap/terraform.tfstate (git-ignored), through the path it gives
# this backend. It holds no secrets. Keep it (or copy it into the state bucket after the first
# apply); if it is lost, `terraform import` brings the resources back under management, nothing
# needs to be recreated.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      managed-by = "terraform"
      stack      = "bootstrap"
    }
  }
}

data "aws_caller_identity" "current" {}
