//! Conformance: every template of the shared corpus validates (or fails
//! with a located diagnostic) as recorded in `tests/conformance/verdicts.tsv`,
//! whose verdicts agree with Packer 1.6.6 except for the differences
//! recorded with a reason. When `packer` is on PATH (and
//! `KILN_CONFORMANCE_PACKER` is not `0`), Packer is re-run live and must
//! still give the recorded verdict. The seeds of the product brief are
//! checked against `seeds/README.md`'s expectations.

mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_lang::diag::Diagnostics;
use kiln_lang::template::LoadOptions;
use kiln_lang::validate::validate;

use corpus::shared_dir;

struct Row {
    unit: String,
    kiln: String,
    packer: String,
    args: Vec<String>,
    reason: String,
}

fn rows() -> Vec<Row> {
    let text = include_str!("conformance/verdicts.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            Row {
                unit: get(0),
                kiln: get(1),
                packer: get(2),
                args: match get(3).as_str() {
                    "" | "-" => Vec::new(),
                    a => a.split_whitespace().map(str::to_string).collect(),
                },
                reason: get(4),
            }
        })
        .collect()
}

/// LoadOptions for a unit run in its own directory with `args`.
fn options(dir: &Path, args: &[String]) -> LoadOptions {
    let mut opts = LoadOptions {
        cwd: dir.to_path_buf(),
        ..LoadOptions::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-var" {
            if let Some((k, v)) = it.next().and_then(|kv| kv.split_once('=')) {
                opts.vars.push((k.to_string(), v.to_string()));
            }
        } else if let Some(f) = a.strip_prefix("-var-file=") {
            opts.var_files.push(PathBuf::from(f));
        }
    }
    opts
}

fn run_kiln(root: &Path, row: &Row) -> Diagnostics {
    let unit = root.join(&row.unit);
    let dir = unit.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = unit.file_name().map(PathBuf::from).unwrap_or_default();
    let opts = options(&dir, &row.args);
    validate(&name, &opts).1
}

#[test]
fn verdict_table_is_consistent() {
    for r in rows() {
        assert!(
            r.kiln == "valid" || r.kiln == "invalid",
            "{}: kiln verdict {:?}",
            r.unit,
            r.kiln
        );
        assert!(
            r.packer == "valid" || r.packer == "invalid",
            "{}: packer verdict {:?}",
            r.unit,
            r.packer
        );
        if r.kiln != r.packer {
            assert!(
                !r.reason.is_empty(),
                "{}: differs from Packer 1.6.6 without a recorded reason",
                r.unit
            );
        }
    }
}

#[test]
fn every_corpus_template_is_covered() {
    let Some(shared) = shared_dir() else {
        eprintln!("shared corpus not found; skipping");
        return;
    };
    let manifest = std::fs::read_to_string(shared.join("conformance/templates/MANIFEST.tsv"))
        .unwrap_or_default();
    let units: Vec<String> = rows().into_iter().map(|r| r.unit).collect();
    for line in manifest.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(kind)) = (f.first(), f.get(4)) else {
            continue;
        };
        if !matches!(
            *kind,
            "hcl2-template" | "hcl2-json-template" | "json-template"
        ) {
            continue;
        }
        let covered = units
            .iter()
            .any(|u| u == path || Path::new(path).parent() == Some(Path::new(u)));
        assert!(covered, "{path} is not in verdicts.tsv");
    }
}

#[test]
fn corpus_verdicts_match() {
    let Some(shared) = shared_dir() else {
        eprintln!("shared corpus not found; skipping");
        return;
    };
    let root = shared.join("conformance/templates");
    let mut failures = Vec::new();
    for row in rows() {
        let diags = run_kiln(&root, &row);
        let got = if diags.has_errors() {
            "invalid"
        } else {
            "valid"
        };
        if got != row.kiln {
            let first: Vec<String> = diags
                .iter()
                .filter(|d| d.is_error())
                .take(3)
                .map(|d| d.summary.clone())
                .collect();
            failures.push(format!(
                "{}: expected {}, got {got} {first:?}",
                row.unit, row.kiln
            ));
            continue;
        }
        if got == "invalid" {
            let located = diags
                .iter()
                .filter(|d| d.is_error())
                .all(|d| d.range.is_some());
            if !located {
                let unlocated: Vec<&str> = diags
                    .iter()
                    .filter(|d| d.is_error() && d.range.is_none())
                    .map(|d| d.summary.as_str())
                    .collect();
                failures.push(format!(
                    "{}: errors without location: {unlocated:?}",
                    row.unit
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn packer_available() -> bool {
    std::env::var("KILN_CONFORMANCE_PACKER").as_deref() != Ok("0") && corpus::packer_available()
}

#[test]
fn packer_still_agrees_with_the_table() {
    let Some(shared) = shared_dir() else { return };
    if !packer_available() {
        eprintln!("packer not on PATH; skipping the live comparison");
        return;
    }
    let root = shared.join("conformance/templates");
    let mut failures = Vec::new();
    for row in rows() {
        let unit = root.join(&row.unit);
        let (Some(dir), Some(name)) = (unit.parent(), unit.file_name()) else {
            continue;
        };
        let out = Command::new("packer")
            .arg("validate")
            .args(&row.args)
            .arg(name)
            .current_dir(dir)
            .env("CHECKPOINT_DISABLE", "1")
            .output();
        let Ok(out) = out else { continue };
        let got = if out.status.success() {
            "valid"
        } else {
            "invalid"
        };
        if got != row.packer {
            failures.push(format!(
                "{}: table says Packer {}, Packer says {got}",
                row.unit, row.packer
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn seed(name: &str) -> Option<(PathBuf, Diagnostics)> {
    let dir = shared_dir()?.join("seeds");
    let opts = LoadOptions {
        cwd: dir.clone(),
        ..LoadOptions::default()
    };
    let diags = validate(Path::new(name), &opts).1;
    Some((dir, diags))
}

#[test]
fn seeds_that_must_validate() {
    for name in [
        "guide-ko-01.pkr.hcl",
        "guide-ko-06.pkr.hcl",
        "guide-ko-07.pkr.hcl",
        "guide-ko-09.pkr.hcl",
        "guide-en-02.pkr.hcl",
        "notes-ko-02.json",
        "notes-ko-03.json",
    ] {
        let Some((_, diags)) = seed(name) else { return };
        let errors: Vec<String> = diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{d:?}"))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn seed_with_missing_sources_reports_each_reference() {
    let Some((_, diags)) = seed("guide-ko-02.pkr.hcl") else {
        return;
    };
    let unknown: Vec<_> = diags
        .iter()
        .filter(|d| d.summary.starts_with("Unknown source"))
        .collect();
    assert_eq!(unknown.len(), 3, "{diags:#?}");
    for d in unknown {
        let r = d.range.as_ref().expect("located");
        assert_eq!(r.filename, "guide-ko-02.pkr.hcl");
    }
}

#[test]
fn seed_with_undeclared_variables_reports_each_use() {
    let Some((_, diags)) = seed("guide-en-03.pkr.hcl") else {
        return;
    };
    let undeclared: Vec<_> = diags
        .iter()
        .filter(|d| d.summary == "Undefined variable")
        .collect();
    assert!(undeclared.len() >= 5, "{diags:#?}");
    assert!(undeclared.iter().all(|d| d.range.is_some()));
    assert!(undeclared
        .iter()
        .any(|d| d.detail.contains("\"client_id\"")));
}

#[test]
fn seed_with_broken_comment_is_a_located_parse_error() {
    let Some((_, diags)) = seed("hcp-registry-broken-comment.pkr.hcl") else {
        return;
    };
    let e = diags.iter().find(|d| d.is_error()).expect("an error");
    assert_eq!(e.summary, "Invalid HCL syntax");
    assert!(e.range.as_ref().is_some_and(|r| r.start.line > 1));
}
