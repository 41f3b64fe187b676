description = <<EOT
Images per region; the heredoc neighbour is kept byte for byte:
  us-east-1 = "ami-0ccccccccccccccc0"
EOT

ami_ids = {
  # North Virginia
  us-east-1        = "ami-0ccccccccccccccc0"
  "eu-west-1"      = "ami-0ccccccccccccccc1", # Ireland
  "ap-southeast-2" : "ami-0ccccccccccccccc2"
  sa-east-1        = "ami-0ccccccccccccccc3" # not built: left alone
}
