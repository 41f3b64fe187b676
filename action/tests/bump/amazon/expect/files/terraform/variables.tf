variable "ubuntu_amis" {
  description = "Ubuntu AMI per region (bumped by kiln)"
  type        = map(string)
  default = {
    eu-west-1 = "ami-0e55555555555555e"
    us-east-1 = "ami-0f66666666666666f"
  }
}

variable "windows_ami" {
  type    = string
  default = "ami-0123456789abcdef0" # Windows Server 2022
}

variable "instance_type" {
  default = "t3.micro"
}
