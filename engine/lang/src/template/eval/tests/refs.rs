//! `references()`.

use crate::template::eval::{references, Reference};

fn refs(src: &str) -> Vec<(String, Vec<String>, std::ops::Range<usize>)> {
    let e = hcl_edit::parser::parse_expr(src).expect("parse");
    references(&e)
        .into_iter()
        .map(|Reference { root, path, span }| (root, path, span))
        .collect()
}

fn r(
    root: &str,
    path: &[&str],
    span: std::ops::Range<usize>,
) -> (String, Vec<String>, std::ops::Range<usize>) {
    (
        root.to_string(),
        path.iter().map(|p| p.to_string()).collect(),
        span,
    )
}

#[test]
fn references_list_roots_paths_and_spans() {
    assert_eq!(refs("var.region"), vec![r("var", &["region"], 0..10)]);
    assert_eq!(refs("local.a.b[0].c"), vec![r("local", &["a", "b"], 0..9)]);
    assert_eq!(
        refs("\"${var.a}-${local.b}\""),
        vec![r("var", &["a"], 3..8), r("local", &["b"], 12..19)]
    );
    assert_eq!(
        refs("var.m[local.k]"),
        vec![r("var", &["m"], 0..5), r("local", &["k"], 6..13)]
    );
    assert_eq!(refs("path.root"), vec![r("path", &["root"], 0..9)]);
    assert_eq!(refs("each"), vec![r("each", &[], 0..4)]);
    assert_eq!(
        refs("upper(var.x) == \"\" ? 1 : -data.y.z.w"),
        vec![r("var", &["x"], 6..11), r("data", &["y", "z", "w"], 26..36),]
    );
    assert_eq!(
        refs("{a = var.b, (var.k) = 1}"),
        vec![r("var", &["b"], 5..10), r("var", &["k"], 13..18)]
    );
    assert_eq!(refs("[1, \"x\", true]"), vec![]);
}

#[test]
fn iteration_variables_are_not_references() {
    assert_eq!(
        refs("[for k, v in var.m : \"${k}${v.x}${local.p}\" if v != var.z]"),
        vec![
            r("var", &["m"], 13..18),
            r("local", &["p"], 34..41),
            r("var", &["z"], 52..57)
        ]
    );
    assert_eq!(
        refs("\"%{ for s in var.l }${s}${t}%{ endfor }${s}\""),
        vec![
            r("var", &["l"], 13..18),
            r("t", &[], 26..27),
            r("s", &[], 41..42)
        ]
    );
    assert_eq!(
        refs("try(var.a, convert(local.b, list(string)))"),
        vec![r("var", &["a"], 4..9), r("local", &["b"], 19..26),]
    );
    assert_eq!(refs("var.l[*].name"), vec![r("var", &["l"], 0..5)]);
}
