terraform {
  # 1.10 brought S3-native state locking (use_lockfile); it is generally available from 1.11.
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
