variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "role_arn" {
  type = string
}

variable "kms_key_arn" {
  type    = string
  default = null
}

variable "region" {
  type    = string
  default = null
}
