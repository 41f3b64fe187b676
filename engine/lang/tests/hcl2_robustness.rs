//! Hostile and broken input: every case ends in located diagnostics,
//! never a panic, and a randomized mutation run over the corpus.

mod support;

use std::path::{Path, PathBuf};

use support::{errors, find, Dir};

fn first_error(d: &kiln_lang::diag::Diagnostics) -> &kiln_lang::diag::Diagnostic {
    errors(d)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("expected an error: {d:#?}"))
}

#[test]
fn malformed_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        b"locals {\n  a = \"\xc3\x28\"\n}\n",
    )
    .expect("write");
    let opts = kiln_lang::template::LoadOptions {
        cwd: dir.path().to_path_buf(),
        ..Default::default()
    };
    let res = kiln_lang::validate::validate_full(Path::new("t.pkr.hcl"), &opts);
    let e = first_error(&res.diags);
    assert_eq!(e.summary, "Invalid character encoding");
    assert_eq!(
        e.range.as_ref().map(|r| (r.start.line, r.start.column)),
        Some((2, 8))
    );
}

#[test]
fn deep_nesting() {
    let deep = format!(
        "locals {{\n  a = {}1{}\n}}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let d = Dir::new(&[("t.pkr.hcl", &deep)]);
    let res = d.validate("t.pkr.hcl");
    assert!(first_error(&res.diags).range.is_some());

    let blocks = format!(
        "source \"null\" \"a\" {{\n{}{}\n}}\n",
        "x {\n".repeat(5_000),
        "}\n".repeat(5_000)
    );
    let d = Dir::new(&[("t.pkr.hcl", &blocks)]);
    let res = d.validate("t.pkr.hcl");
    assert!(first_error(&res.diags).range.is_some());
}

#[test]
fn huge_files() {
    let mut big = String::from("locals {\n");
    for i in 0..60_000 {
        big.push_str(&format!("  v{i} = \"{}\"\n", "x".repeat(20)));
    }
    big.push_str("}\n");
    let d = Dir::new(&[("t.pkr.hcl", &big)]);
    let res = d.validate("t.pkr.hcl");
    assert!(!res.diags.has_errors());
    assert_eq!(res.loaded.expect("loaded").template.locals.len(), 60_000);

    let file = std::fs::File::create(d.path().join("huge.pkr.hcl")).expect("create");
    file.set_len(kiln_lang::template::hcl2::parse::MAX_FILE_BYTES + 1)
        .expect("set_len");
    let res = d.validate("huge.pkr.hcl");
    assert_eq!(first_error(&res.diags).summary, "File too large");
}

#[test]
fn unknown_function_wrong_arity_and_type_errors_are_located() {
    let src = "locals {\n  a = nosuchfunc(1)\n  b = 1 + \"x\"\n  c = [1, 2][\"k\"]\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Call to unknown function");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(2));
    assert!(errors(&res.diags).len() >= 3, "{:#?}", res.diags);
    assert!(
        errors(&res.diags).iter().all(|e| e.range.is_some()),
        "{:#?}",
        res.diags
    );
}

#[test]
fn wrong_arity_is_located() {
    let d = Dir::new(&[(
        "t.pkr.hcl",
        "locals {\n  a = upper(\"a\", \"b\")\n  b = upper()\n}\n",
    )]);
    let res = d.validate("t.pkr.hcl");
    let errs = errors(&res.diags);
    assert_eq!(errs.len(), 2, "{:#?}", res.diags);
    assert_eq!(errs[0].range.as_ref().map(|r| r.start.line), Some(2));
    assert_eq!(errs[1].range.as_ref().map(|r| r.start.line), Some(3));
}

#[test]
fn nonexistent_path() {
    let d = Dir::new(&[]);
    let res = d.validate("missing.pkr.hcl");
    assert!(first_error(&res.diags)
        .summary
        .starts_with("Could not find any config file"));
    let res = d.validate(".");
    assert!(first_error(&res.diags)
        .summary
        .starts_with("Could not find any config file"));
}

/// A small deterministic PRNG (xorshift) so the mutation run is repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus_files() -> Vec<PathBuf> {
    let root = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("conformance/templates");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap_or_default();
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|p| p.ends_with(".pkr.hcl") || p.ends_with(".pkr.json"))
        .map(|p| root.join(p))
        .collect()
}

/// Mutate corpus templates (delete / duplicate / swap spans, insert
/// syntax characters and invalid bytes) and load each mutant: loading
/// must never panic. Iterations: `KILN_MUTATIONS` (default 300).
#[test]
fn mutated_corpus_never_panics() {
    let files = corpus_files();
    if files.is_empty() {
        eprintln!("shared corpus not found; skipping");
        return;
    }
    let iterations: usize = std::env::var("KILN_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tokens: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"${",
        b"%{",
        b"=",
        b"\n",
        b"(",
        b")",
        b"\xff",
        b"*",
        b".",
        b"dynamic \"x\" {",
        b"local.a",
        b"var.",
        b"<<EOF\n",
    ];
    for i in 0..iterations {
        let Some(src) = files.get(rng.below(files.len())) else {
            continue;
        };
        let Ok(mut bytes) = std::fs::read(src) else {
            continue;
        };
        for _ in 0..1 + rng.below(4) {
            let len = bytes.len().max(1);
            let at = rng.below(len).min(bytes.len());
            match rng.below(4) {
                0 => {
                    let end = (at + rng.below(64)).min(bytes.len());
                    bytes.drain(at..end);
                }
                1 => {
                    let end = (at + rng.below(64)).min(bytes.len());
                    let piece = bytes[at..end].to_vec();
                    let to = rng.below(bytes.len().max(1)).min(bytes.len());
                    bytes.splice(to..to, piece);
                }
                _ => {
                    let t = tokens[rng.below(tokens.len())];
                    bytes.splice(at..at, t.iter().copied());
                }
            }
        }
        let ext = if src.to_string_lossy().ends_with(".json") {
            "pkr.json"
        } else {
            "pkr.hcl"
        };
        let name = format!("m{i}.{ext}");
        std::fs::write(dir.path().join(&name), &bytes).expect("write");
        let opts = kiln_lang::template::LoadOptions {
            cwd: dir.path().to_path_buf(),
            ..Default::default()
        };
        // (the options hold no state a panic could leave half-changed)
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            kiln_lang::validate::validate_full(Path::new(&name), &opts)
        }));
        assert!(
            outcome.is_ok(),
            "panic on mutant of {} (kept as {name})",
            src.display()
        );
        let _ = std::fs::remove_file(dir.path().join(&name));
    }
}
