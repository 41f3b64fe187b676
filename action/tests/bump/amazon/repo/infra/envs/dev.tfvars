# Already on the new image: nothing to change here.
ami_id = "ami-0f66666666666666f"
