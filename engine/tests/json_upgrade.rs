//! `hcl2_upgrade` against Packer's own fixtures (input.json →
//! expected.pkr.hcl) and on every legacy JSON template of the corpus: the
//! output must parse as HCL.

use std::path::{Path, PathBuf};

use kiln_engine::template::upgrade::{upgrade_file, upgrade_json, UpgradeOptions};

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    if dir.join("conformance/templates/MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!("shared corpus not found at {}; skipping", dir.display());
        None
    }
}

fn fixture(name: &str) -> Option<PathBuf> {
    Some(shared_dir()?.join("conformance/templates/hashicorp__packer/command/test-fixtures/hcl2_upgrade").join(name))
}

fn check_fixture(name: &str, annotate: bool) {
    let Some(dir) = fixture(name) else { return };
    let out = upgrade_file(&dir.join("input.json"), &dir, &UpgradeOptions { with_annotations: annotate })
        .unwrap_or_else(|d| panic!("{name}: {d:?}"));
    let expected = std::fs::read_to_string(dir.join("expected.pkr.hcl")).unwrap();
    if out != expected {
        let diff = similar::TextDiff::from_lines(&expected, &out);
        panic!("{name}: output differs from Packer's\n{}", diff.unified_diff().header("expected", "kiln"));
    }
    assert_parses(&out, name);
}

fn assert_parses(hcl: &str, what: &str) {
    if let Err(e) = hcl_edit::parser::parse_body(hcl) {
        panic!("{what}: upgraded output is not valid HCL: {e}\n{hcl}");
    }
}

#[test]
fn minimal_matches_packer() {
    check_fixture("minimal", true);
}

#[test]
fn error_cleanup_provisioner_matches_packer() {
    check_fixture("error-cleanup-provisioner", true);
}

#[test]
fn escaping_matches_packer() {
    check_fixture("escaping", false);
}

#[test]
fn complete_matches_packer() {
    check_fixture("complete", true);
}
