//! `kiln inspect` prints Packer's HCL2 inspect layout.

use std::process::Command;

const SRC: &str = r#"variable "foo" {
  type    = string
  default = "bar"
}
variable "secret" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}
locals {
  x = "${var.foo}-x"
}
source "null" "basic" {
  communicator = "none"
}
build {
  name    = "mybuild"
  sources = ["source.null.basic"]
  provisioner "shell-local" {
    inline = ["echo hi"]
  }
  post-processor "manifest" {}
}
build {
  sources = ["source.null.basic"]
}
"#;

/// What `packer inspect` (1.6.6) prints for `SRC`.
const EXPECTED: &str = "Packer Inspect: HCL2 mode

> input-variables:

var.foo: \"bar\"
var.secret: \"<sensitive>\"

> local-variables:

local.x: \"bar-x\"

> builds:

  > mybuild:

    sources:

      null.basic

    provisioners:

      shell-local

    post-processors:

      0:
        manifest

  > <unnamed build 1>:

    sources:

      null.basic

    provisioners:

      <no provisioner>

    post-processors:

      <no post-processor>

";

#[test]
fn hcl2_layout_matches_packer() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("t.pkr.hcl"), SRC).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["inspect", "t.pkr.hcl"])
        .current_dir(d.path())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
}

#[test]
fn json_layout_matches_packer() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("t.json"),
        r#"{"variables": {"fruit": null, "b": "x"}, "builders": [{"type": "null", "communicator": "none"}]}"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["inspect", "t.json"])
        .current_dir(d.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Packer Inspect: JSON mode\nRequired variables:\n\n  fruit\n\nOptional variables and their defaults:\n\n  b = x\n\nBuilders:\n\n  null\n"), "{text}");
}

#[test]
fn broken_template_fails() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("t.pkr.hcl"), "locals {\n  a = \n}\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["inspect", "t.pkr.hcl"])
        .current_dir(d.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("on t.pkr.hcl line"));
}
