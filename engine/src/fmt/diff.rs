//! The unified diff `packer fmt -diff` prints (`diff -u` with the labels
//! `old/PATH` and `new/PATH`).

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
}
