# The README's main job, a real build with nothing but the toolchain: a
# file builder, a local shell provisioner, and a post-processor chain that
# archives the file, checksums the archive and records it all in a
# manifest. `kiln build examples/hello` leaves hello.txt, hello.tar.gz,
# hello_sha256.checksum and packer-manifest.json in the current directory
# (Packer 1.6.6 builds the same template to the same files).

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

  post-processors {
    post-processor "compress" {
      output              = "{{.BuildName}}.tar.gz"
      keep_input_artifact = true
    }
    post-processor "checksum" {
      checksum_types = ["sha256"]
      output         = "{{.BuildName}}_{{.ChecksumType}}.checksum"
    }
    post-processor "manifest" {
      output     = "packer-manifest.json"
      strip_path = true
    }
  }
}
