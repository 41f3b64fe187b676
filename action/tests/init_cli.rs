//! `kiln init` checks required plugins against the built-in ones.

use std::process::Command;

fn init(src: &str) -> (Option<i32>, String) {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("t.pkr.hcl"), src).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["init", "t.pkr.hcl"])
        .current_dir(d.path())
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn built_in_plugins_satisfy_requirements() {
    let (code, err) = init(
        "packer {\n  required_plugins {\n    amazon = {\n      source  = \"github.com/hashicorp/amazon\"\n      version = \">= 1.0.0\"\n    }\n  }\n}\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn missing_plugins_are_named() {
    let (code, err) = init(
        "packer {\n  required_plugins {\n    amazon = {\n      source = \"github.com/hashicorp/amazon\"\n    }\n    azure = {\n      source  = \"github.com/hashicorp/azure\"\n      version = \">= 2.0.0\"\n    }\n  }\n}\n",
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("Missing plugin \"azure\""), "{err}");
    assert!(err.contains("on t.pkr.hcl line 6"), "{err}");
    assert!(!err.contains("\"amazon\" ("), "{err}");
}

#[test]
fn templates_without_requirements_succeed() {
    let (code, _) = init("variable \"x\" {}\n");
    assert_eq!(code, Some(0));
}
