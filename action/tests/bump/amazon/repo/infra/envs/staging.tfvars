# Staging (CRLF line endings)
ami_id = "ami-0bbbbbbbbbbbbbbbb"
user_data = <<-EOT
  #!/bin/sh
  echo "ami_id = ami-0bbbbbbbbbbbbbbbb"
EOT
