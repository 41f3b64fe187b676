variable "ubuntu_amis" {
  description = "Ubuntu AMI per region (bumped by kiln)"
  type        = map(string)
  default = {
    eu-west-1 = "ami-0ddddddddddddddd1"
    us-east-1 = "ami-0ddddddddddddddd0"
  }
}

variable "windows_ami" {
  type    = string
  default = "ami-0eeeeeeeeeeeeeee0" # Windows Server 2022
}

variable "instance_type" {
  default = "t3.micro"
}
