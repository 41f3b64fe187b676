//! `kiln console` reads expressions from stdin and prints their values.

use std::io::Write;
use std::process::{Command, Stdio};

fn console(dir: &std::path::Path, args: &[&str], input: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("console")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn evaluates_against_a_template() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("t.pkr.hcl"),
        "variable \"foo\" {\n  default = \"bar\"\n}\nlocals {\n  x = \"${var.foo}-x\"\n  n = [1, 2]\n}\n",
    )
    .expect("write");
    let (code, out, err) = console(
        d.path(),
        &["t.pkr.hcl"],
        "var.foo\nlocal.x\nlocal.n\n{a = 1}\n1 + 2\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "bar\nbar-x\n[1, 2]\n{\"a\": 1}\n3\n");
    assert!(!out.contains("> "), "no prompt without a terminal");
}

#[test]
fn errors_are_rendered_and_the_session_goes_on() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("t.pkr.hcl"),
        "variable \"foo\" {\n  default = \"bar\"\n}\n",
    )
    .expect("write");
    let (code, out, err) = console(
        d.path(),
        &["-var", "foo=baz", "t.pkr.hcl"],
        "var.nope\n1 +\nvar.foo\n",
    );
    assert_eq!(code, Some(1));
    assert_eq!(out, "baz\n");
    assert!(err.contains("Error: Undefined variable"), "{err}");
    assert!(err.contains("on <console-input> line 1"), "{err}");
    assert!(err.contains("Error: Invalid expression"), "{err}");
}

#[test]
fn works_without_a_template() {
    let d = tempfile::tempdir().expect("tempdir");
    let (code, out, _) = console(d.path(), &[], "\"a\"\ntrue && false\n");
    assert_eq!(code, Some(0));
    assert_eq!(out, "a\nfalse\n");
}
