description = <<EOT
Images per region; the heredoc neighbour is kept byte for byte:
  us-east-1 = "ami-0ccccccccccccccc0"
EOT

ami_ids = {
  # North Virginia
  us-east-1        = "ami-0f66666666666666f"
  "eu-west-1"      = "ami-0e55555555555555e", # Ireland
  "ap-southeast-2" : "ami-0d44444444444444d"
  sa-east-1        = "ami-0ccccccccccccccc3" # not built: left alone
}
