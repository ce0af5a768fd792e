module "vpc_flow_logs" {
  source      = "../.."
  name        = "complete"
  vpc_id      = "vpc-0123456789abcdef0"
  role_arn    = "arn:aws:iam::123456789012:role/flow-logs"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}
