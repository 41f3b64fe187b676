# Two builds kiln and Packer 1.6.6 both run with nothing but the toolchain;
# the manifest post-processor appends each run (strip_time: no build_time).
source "null" "first" {
  communicator = "none"
}

source "file" "second" {
  content = "image\n"
  target  = "image.txt"
}

build {
  sources = ["source.null.first", "source.file.second"]

  post-processor "manifest" {
    output     = "manifest.json"
    strip_path = true
    strip_time = true
  }
}
