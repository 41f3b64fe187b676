//! The unified diff `packer fmt -diff` prints (`diff -u` with the labels
//! `old/PATH` and `new/PATH`).
//!
//! Packer runs the system `diff -u`; [`system_diff`] does the same so the
//! hunks are identical, and [`unified_diff`] is the pure-Rust fallback
//! (same format, but its hunks may be split differently from GNU diff's).

use similar::{Algorithm, TextDiff};

/// A unified diff with three lines of context between `old` and `new`,
/// labelled `old/{path}` and `new/{path}`; empty when they are equal.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("old/{path}"), &format!("new/{path}"))
        .to_string()
}

/// The diff of `old` and `new` by the system `diff -u` with Packer's labels,
/// or `None` when no usable `diff` program is found.
pub fn system_diff(old: &str, new: &str, path: &str) -> Option<String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let stem = format!(
        "kiln-fmt-diff-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let a = dir.join(format!("{stem}.old"));
    let b = dir.join(format!("{stem}.new"));
    let result = (|| {
        std::fs::write(&a, old).ok()?;
        std::fs::write(&b, new).ok()?;
        let out = std::process::Command::new("diff")
            .arg(format!("--label=old/{path}"))
            .arg(format!("--label=new/{path}"))
            .arg("-u")
            .arg(&a)
            .arg(&b)
            .output()
            .ok()?;
        // diff exits 1 when the files differ, 0 when they are equal.
        match out.status.code() {
            Some(0) | Some(1) => String::from_utf8(out.stdout).ok(),
            _ => None,
        }
    })();
    let _ = std::fs::remove_file(&a);
    let _ = std::fs::remove_file(&b);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_hunks() {
        let d = unified_diff("a=1\nbb = 2\n", "a  = 1\nbb = 2\n", "x.pkr.hcl");
        assert_eq!(
            d,
            "--- old/x.pkr.hcl\n+++ new/x.pkr.hcl\n@@ -1,2 +1,2 @@\n-a=1\n+a  = 1\n bb = 2\n"
        );
        assert_eq!(unified_diff("same\n", "same\n", "x"), "");
    }

    #[test]
    fn system_diff_uses_packers_labels() {
        // Skipped where no `diff` program exists.
        if let Some(d) = system_diff("a=1\nbb = 2\n", "a  = 1\nbb = 2\n", "x.pkr.hcl") {
            assert_eq!(
                d,
                unified_diff("a=1\nbb = 2\n", "a  = 1\nbb = 2\n", "x.pkr.hcl")
            );
        }
    }
}
