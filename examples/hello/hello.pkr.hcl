# The smallest real kiln build: a file builder, a local shell provisioner
# and a manifest. `kiln build examples/hello` writes hello.txt and
# packer-manifest.json into the current directory.

variable "greeting" {
  type        = string
  default     = "hello from kiln"
  description = "What the built file says."
}

locals {
  stamp = formatdate("YYYY-MM-DD", timestamp())
}

source "file" "hello" {
  content = "${var.greeting} (${local.stamp})\n"
  target  = "hello.txt"
}

build {
  sources = ["source.file.hello"]

  provisioner "shell-local" {
    inline = ["echo provisioning $PACKER_BUILD_NAME built by $PACKER_BUILDER_TYPE"]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
  }
}
