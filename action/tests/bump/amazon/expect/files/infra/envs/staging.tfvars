# Staging (CRLF line endings)
ami_id = "ami-0f66666666666666f"
user_data = <<-EOT
  #!/bin/sh
  echo "ami_id = ami-0bbbbbbbbbbbbbbbb"
EOT
