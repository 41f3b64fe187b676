//! Byte-for-byte conformance with hclwrite / `packer fmt` on the shared
//! corpus (`shared/conformance/fmt`, see its README and CASES.tsv).
//!
//! * `match` cases are whole files: `format()` must give `.out.hcl`.
//! * `parse-error(rc=1)` cases are hclwrite token-level cases: the checked
//!   `format()` must refuse them (Packer 1.6.6 does), and
//!   `format_unchecked()` must give `.out.hcl`. There is no exception.
//! * `error-001` must fail with a located error; `error-002` (JSON) is
//!   rejected by the CLI, see `action/tests/fmt_cli.rs`.

use std::path::PathBuf;

use kiln_lang::fmt::{format, format_unchecked, FmtError};

fn corpus_dir() -> PathBuf {
    let shared = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("conformance/fmt")
}

struct Case {
    name: String,
    expect: String,
}

fn cases() -> Vec<Case> {
    let dir = corpus_dir();
    let tsv = std::fs::read_to_string(dir.join("CASES.tsv"))
        .unwrap_or_else(|e| panic!("cannot read {}/CASES.tsv: {e}", dir.display()));
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Case {
                name: cols[0].to_string(),
                expect: cols.last().copied().unwrap_or("").to_string(),
            }
        })
        .collect()
}

fn read(name: &str) -> String {
    let p = corpus_dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn show(s: &str) -> String {
    s.replace(' ', "·")
}

#[test]
fn whole_file_cases_match_byte_for_byte() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for c in cases().iter().filter(|c| c.expect == "match") {
        let input = read(&format!("{}.in.hcl", c.name));
        let want = read(&format!("{}.out.hcl", c.name));
        match format(&input) {
            Ok(got) if got == want => passed += 1,
            Ok(got) => failures.push(format!(
                "{}: output differs\n--- want\n{}\n--- got\n{}",
                c.name,
                show(&want),
                show(&got)
            )),
            Err(e) => failures.push(format!("{}: unexpected error {e}", c.name)),
        }
        // The unchecked formatter agrees on valid files too.
        assert_eq!(format_unchecked(&input), want, "{} (unchecked)", c.name);
    }
    println!("whole-file conformance: {passed} passed");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(passed, 46, "expected 46 whole-file cases");
}

#[test]
fn expression_level_cases_match_unchecked_and_are_rejected_checked() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for c in cases()
        .iter()
        .filter(|c| c.expect.starts_with("parse-error") && c.name.starts_with("case-"))
    {
        let input = read(&format!("{}.in.hcl", c.name));
        let want = read(&format!("{}.out.hcl", c.name));
        let got = format_unchecked(&input);
        if got == want {
            passed += 1;
        } else {
            failures.push(format!(
                "{}: output differs\n--- want\n{}\n--- got\n{}",
                c.name,
                show(&want),
                show(&got)
            ));
        }
        assert!(
            format(&input).is_err(),
            "{}: format() must reject it like packer fmt",
            c.name
        );
    }
    println!("expression-level conformance: {passed} passed");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(passed, 23, "expected 23 expression-level cases");
}

#[test]
fn malformed_template_fails_with_a_located_error() {
    let input = read("error-001.in.hcl");
    let err = format(&input).expect_err("error-001 must not format");
    let FmtError::Syntax { line, column, .. } = &err else {
        panic!("expected a syntax error, got {err:?}");
    };
    // `invalid` stands alone on line 5: an argument or block is expected.
    assert_eq!(*line, 5, "{err}");
    assert!(*column >= 1);
    let d = err.to_diagnostic("error-001.in.hcl");
    let r = d.range.expect("diagnostic has a range");
    assert_eq!((r.filename.as_str(), r.start.line), ("error-001.in.hcl", 5));
}

#[test]
fn formatting_is_idempotent_on_the_corpus() {
    for c in cases().iter().filter(|c| c.name.starts_with("case-")) {
        let want = read(&format!("{}.out.hcl", c.name));
        assert_eq!(
            format_unchecked(&want),
            want,
            "{} output is not a fixed point",
            c.name
        );
    }
}
