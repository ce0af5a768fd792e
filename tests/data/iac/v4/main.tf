# A small VPC flow-log module, written for this project's identity tests (tests/test_iac_identity.py).

resource "aws_s3_bucket" "logs" {
  region = var.region
  bucket = "${var.name}-flow-logs"
}

resource "aws_cloudwatch_log_group" "flow" {
  region            = var.region
  name              = "/vpc/${var.name}/flow-logs"
  retention_in_days = 365
  kms_key_id        = var.kms_key_arn
}

resource "aws_flow_log" "this" {
  region          = var.region
  log_destination = aws_cloudwatch_log_group.flow.arn
  iam_role_arn    = var.role_arn
  traffic_type    = "ALL"
  vpc_id          = var.vpc_id
}

resource "aws_security_group" "bastion_ssh" {
  region      = var.region
  name        = "${var.name}-ssh"
  description = "SSH to the bastion"
  vpc_id      = var.vpc_id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
