//! Where the shared reference corpus lives, for the tests that read it.
//! `KILN_SHARED_DIR` overrides the default (`shared/` beside the checkout).
//! With `KILN_REQUIRE_SHARED` set (CI), a missing corpus fails the test
//! instead of skipping it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `shared/` directory, if it holds the conformance corpus.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let found = dir.join("conformance/templates/MANIFEST.tsv").exists();
    assert!(
        found || std::env::var_os("KILN_REQUIRE_SHARED").is_none(),
        "KILN_REQUIRE_SHARED is set but the shared corpus is not at {}",
        dir.display()
    );
    found.then_some(dir)
}

/// Whether `packer` can be run; with `KILN_REQUIRE_PACKER` set (CI) its
/// absence fails the test instead of skipping the comparison.
pub fn packer_available() -> bool {
    let ok = std::process::Command::new("packer")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PACKER").is_none(),
        "KILN_REQUIRE_PACKER is set but `packer` is not on PATH"
    );
    ok
}
