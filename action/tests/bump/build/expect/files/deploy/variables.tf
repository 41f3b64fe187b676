variable "file_artifact" {
  type    = string
  default = "File"
}
