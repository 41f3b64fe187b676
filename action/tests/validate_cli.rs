//! `kiln validate` end to end: flags, output and exit codes like Packer.

use std::path::Path;
use std::process::{Command, Output};

fn kiln(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(dir)
        .env_remove("KILN_LOG")
        .output()
        .expect("run kiln")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

const GOOD: &str = r#"
variable "who" {
  type = string
}
variable "n" {
  type    = number
  default = 1
}
source "null" "a" {
  communicator = "none"
}
source "null" "b" {
  bogus        = true
  communicator = "none"
}
build {
  sources = ["source.null.a", "source.null.b"]
}
"#;

#[test]
fn valid_template_prints_nothing_and_exits_zero() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "t.pkr.hcl", GOOD);
    let out = kiln(
        d.path(),
        &["validate", "-var", "who=me", "-except=null.b", "t.pkr.hcl"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert!(out.stderr.is_empty());
}

#[test]
fn errors_go_to_stderr_with_exit_one() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "t.pkr.hcl", GOOD);
    let out = kiln(d.path(), &["validate", "-var=who=me", "t.pkr.hcl"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Error: Unsupported argument"), "{err}");
    assert!(
        err.contains("on t.pkr.hcl line 13, in source \"null\" \"b\":"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unset_variable_and_var_file() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "t.pkr.hcl", GOOD);
    write(d.path(), "v.pkrvars.hcl", "who = \"file\"\nn = 2\n");
    let out = kiln(d.path(), &["validate", "-only=null.a", "t.pkr.hcl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unset variable \"who\""));
    let out = kiln(
        d.path(),
        &[
            "validate",
            "-var-file",
            "v.pkrvars.hcl",
            "-only",
            "null.a",
            "t.pkr.hcl",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_output() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "t.pkr.hcl", GOOD);
    let out = kiln(
        d.path(),
        &["validate", "-json", "-var", "who=x", "t.pkr.hcl"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["valid"], false);
    assert_eq!(v["error_count"], 1);
    assert_eq!(v["diagnostics"][0]["range"]["start"]["line"], 13);
}

#[test]
fn syntax_only() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "t.pkr.hcl", GOOD);
    let out = kiln(d.path(), &["validate", "-syntax-only", "t.pkr.hcl"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Syntax-only check passed. Everything looks okay.\n"
    );
    write(d.path(), "bad.pkr.hcl", "build {\n");
    let out = kiln(d.path(), &["validate", "-syntax-only", "bad.pkr.hcl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Invalid HCL syntax"));
}

#[test]
fn undeclared_var_flag_and_warning_switch() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "t.pkr.hcl", GOOD);
    write(d.path(), "extra.pkrvars.hcl", "who = \"a\"\nunknown = 1\n");
    let out = kiln(
        d.path(),
        &["validate", "-var", "nope=1", "-var", "who=a", "t.pkr.hcl"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Undefined -var variable"));
    let out = kiln(
        d.path(),
        &[
            "validate",
            "-var-file=extra.pkrvars.hcl",
            "-only=null.a",
            "t.pkr.hcl",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Warning: Undefined variable"));
    let out = kiln(
        d.path(),
        &[
            "validate",
            "-no-warn-undeclared-var",
            "-var-file=extra.pkrvars.hcl",
            "-only=null.a",
            "t.pkr.hcl",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn missing_path() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = kiln(d.path(), &["validate", "nope.pkr.hcl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Could not find any config file in nope.pkr.hcl"));
}
