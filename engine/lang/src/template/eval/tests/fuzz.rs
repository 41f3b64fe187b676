//! Random combinations of every construct: evaluation never panics, and
//! every error has a range inside the input.

use super::*;

/// A small deterministic pseudo-random generator (LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

const ATOMS: &[&str] = &[
    "1",
    "-2.5",
    "\"a\"",
    "\"7\"",
    "true",
    "null",
    "[]",
    "{}",
    "var.names",
    "var.tags",
    "var.servers",
    "var.nothing",
    "build.x",
    "var.count",
    "local.prefix",
    "nope",
    "[1, \"b\"]",
    "{a = 1}",
];

fn gen(r: &mut Rng, depth: usize) -> String {
    if depth == 0 {
        return ATOMS[r.next(ATOMS.len())].to_string();
    }
    let a = gen(r, depth - 1);
    let b = gen(r, depth - 1);
    match r.next(16) {
        0 => format!("{a} + {b}"),
        1 => format!("{a} == {b}"),
        2 => format!("{a} && {b}"),
        3 => format!("!{a}"),
        4 => format!("{a} ? {b} : {a}"),
        5 => format!("[for x in {a} : {b}]"),
        6 => format!("{{for k, v in {a} : k => {b}...}}"),
        7 => format!("{a}[{b}]"),
        8 => format!("({a})[*].name"),
        9 => format!(
            "\"x${{{a}}}%{{ if {b} }}y%{{ endif }}%{{ for i in {a} ~}}${{i}}%{{~ endfor }}\""
        ),
        10 => format!("try({a}, {b})"),
        11 => format!("can({a})"),
        12 => format!("length({a})"),
        13 => format!("join(\",\", {a})"),
        14 => format!("{{ k = {a}, (\"{depth}\") = {b} }}"),
        _ => format!("[{a}, {b}] < {a}"),
    }
}

#[test]
fn random_expressions_never_panic() {
    let mut r = Rng(0x5eed);
    let mut errors = 0;
    for i in 0..1500 {
        let src = gen(&mut r, 1 + i % 4);
        let Ok(expr) = hcl_edit::parser::parse_expr(&src) else {
            continue;
        };
        let file = SourceFile::new("t.pkr.hcl", src.as_str());
        if let Err(diags) = eval_expr(&expr, &scope(), &file) {
            errors += 1;
            for d in diags.iter() {
                let range = d.range.as_ref().expect("located");
                assert!(
                    range.end.byte <= src.len() && range.start.byte <= range.end.byte,
                    "{src}"
                );
                assert!(!d.summary.is_empty() && !d.detail.is_empty(), "{src}");
            }
        }
        let _ = crate::template::eval::references(&expr);
    }
    // the generator produces both successes and failures
    assert!(errors > 100 && errors < 1400, "{errors}");
}
