provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      deployment = var.deployment
      managed-by = "terraform"
    })
  }
}
