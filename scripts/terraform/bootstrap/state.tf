# The Terraform state bucket: versioned (a bad apply can be rolled back to an earlier
# state), encrypted with a key of its own, never public, reachable only over TLS, objects
# owned by the bucket.
resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

# The state holds what the deploy writes about the deployment (function settings, ARNs, outputs).
# Its key's policy names only the admin who ran the bootstrap, a break-glass role and the
# deployments' pipeline roles, so read access to S3 alone (a broad "read everything" role) does
# not open it. The break-glass role (bootstrap.breakGlassRoleArn in infra/deployments.json) keeps
# the key manageable when the admin's role is gone; nothing else can manage it.
data "aws_iam_session_context" "admin" {
  arn = data.aws_caller_identity.current.arn
}

resource "aws_kms_key" "state" {
  description             = "Terraform state in ${var.state_bucket}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.state_bucket}-state"
  target_key_id = aws_kms_key.state.key_id
}

data "aws_iam_policy_document" "state_key" {
  statement {
    sid = "AdminAndBreakGlassManageTheKey"
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*",
      "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
      "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
    ]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = [data.aws_iam_session_context.admin.issuer_arn, var.state_key_break_glass_arn]
    }
  }

  statement {
    sid       = "DeployRolesReadAndWriteState"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [for name, _ in var.deployments : aws_iam_role.github["${name}-deploy"].arn]
    }
  }

  statement {
    sid       = "PlanRolesReadState"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [for name, _ in var.deployments : aws_iam_role.github["${name}-plan"].arn]
    }
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Old state versions are kept for 90 days, then expire: enough to roll back, not forever.
resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 90
    }
  }
}

data "aws_iam_policy_document" "state_tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.state.arn,
      "${aws_s3_bucket.state.arn}/*",
    ]

    # A Deny for everyone: nothing reaches the state over plain HTTP, whoever asks.
    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}
