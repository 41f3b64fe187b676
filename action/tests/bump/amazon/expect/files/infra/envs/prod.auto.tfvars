# Production.
# Managed by kiln bump: do not edit the AMI by hand.
instance_type   = "m6i.large"
ami_id          = "ami-0f66666666666666f"     # ubuntu 22.04, bumped by kiln
min_size        = 3 // odd alignment and comment styles are kept
/* a block comment */ max_size = 9
tags = {
  Team = "platform"
  ami_id = "not-this-one"
}
