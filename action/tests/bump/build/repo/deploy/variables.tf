variable "file_artifact" {
  type    = string
  default = "previous-file"
}
