//! Property tests of the formatter over the corpus and random mutations:
//! idempotence, the output re-parses to the same token structure, every
//! comment survives; and the token-level formatter never panics and only
//! ever changes spaces, whatever the input.

mod fmt_support;

use std::sync::OnceLock;

use fmt_support::{corpus_hcl_files, dedent, respace, shuffle_blank_lines, to_crlf, Rng};
use kiln_lang::fmt::lexer::lex;
use kiln_lang::fmt::token::TokenKind;
use kiln_lang::fmt::{format, format_unchecked};
use proptest::prelude::*;

fn corpus() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| {
        let v: Vec<String> = corpus_hcl_files()
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        assert!(!v.is_empty(), "no corpus files found");
        v
    })
}

/// (kind, text) of every token except newlines, with comments' trailing
/// whitespace trimmed (single-line comments own their line break).
fn structure(src: &str) -> Vec<(TokenKind, String)> {
    lex(src.as_bytes())
        .iter()
        .filter(|t| t.kind != TokenKind::Newline)
        .map(|t| {
            let text = String::from_utf8_lossy(t.bytes(src.as_bytes())).into_owned();
            let text = match t.kind {
                TokenKind::Comment => text.trim_end().to_string(),
                // A heredoc body line keeps its text but may end in \r\n.
                TokenKind::StringLit | TokenKind::QuotedNewline => text.replace("\r\n", "\n"),
                _ => text,
            };
            (t.kind, text)
        })
        .collect()
}

fn comments(src: &str) -> Vec<String> {
    let mut v: Vec<String> = lex(src.as_bytes())
        .iter()
        .filter(|t| t.kind == TokenKind::Comment)
        .map(|t| {
            String::from_utf8_lossy(t.bytes(src.as_bytes()))
                .trim_end()
                .to_string()
        })
        .collect();
    v.sort();
    v
}

fn mutate(src: &str, kind: u8, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    match kind % 5 {
        0 => respace(src, &mut rng),
        1 => dedent(src),
        2 => shuffle_blank_lines(src, &mut rng),
        3 => to_crlf(&respace(src, &mut rng)),
        _ => shuffle_blank_lines(&respace(&dedent(src), &mut rng), &mut rng),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn corpus_mutations_format_stably(idx in 0usize..10_000, kind in 0u8..5, seed in any::<u64>()) {
        let files = corpus();
        let src = mutate(&files[idx % files.len()], kind, seed);
        let Ok(once) = format(&src) else {
            // Some mutations are not valid HCL any more (e.g. a blank line
            // moved into an expression); those are covered elsewhere.
            return Ok(());
        };
        // Idempotence.
        let twice = format(&once);
        prop_assert_eq!(twice.as_ref(), Ok(&once));
        // The output parses, to the same structure.
        prop_assert!(hcl_edit::parser::parse_body(&once).is_ok());
        prop_assert_eq!(structure(&once), structure(&src));
        // Every comment survives.
        prop_assert_eq!(comments(&once), comments(&src));
    }

    #[test]
    fn unchecked_formatting_only_changes_spaces(src in "[ -~\t\n\r\u{e9}\u{1F1EC}]{0,200}") {
        let out = format_unchecked(&src);
        let squeeze = |s: &str| s.trim_start_matches('\u{feff}').replace([' ', '\t'], "");
        prop_assert_eq!(squeeze(&out), squeeze(&src));
    }

    #[test]
    fn arbitrary_bytes_never_panic(src in proptest::collection::vec(any::<u8>(), 0..300)) {
        let unchecked = kiln_lang::fmt::format_unchecked_bytes(&src);
        prop_assert!(unchecked.len() + 3 >= src.len() / 2);
        match kiln_lang::fmt::format_bytes(&src) {
            Ok(out) => prop_assert_eq!(format(&out), Ok(out.clone())),
            Err(e) => prop_assert!(e.line() >= 1 && e.column() >= 1),
        }
    }

    #[test]
    fn unchecked_formatting_of_hcl_like_fragments(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("a"), Just("="), Just(" "), Just("\n"), Just("{"), Just("}"),
                Just("["), Just("]"), Just("("), Just(")"), Just("\""), Just("${"),
                Just("%{"), Just("~}"), Just("<<EOT\n"), Just("EOT\n"), Just("# c\n"),
                Just("/*"), Just("*/"), Just("-"), Just("!"), Just(","), Just("..."),
                Just("1.5"), Just("::"), Just("\r\n"), Just("\t"), Just("in"), Just(":"),
            ],
            0..60,
        )
    ) {
        let src: String = parts.concat();
        let out = format_unchecked(&src);
        let squeeze = |s: &str| s.replace([' ', '\t'], "");
        prop_assert_eq!(squeeze(&out), squeeze(&src));
        // Formatting is a fixed point on its own output when that parses.
        if let Ok(f) = format(&out) {
            prop_assert_eq!(format(&f), Ok(f.clone()));
        }
    }
}

fn fast_path_says_valid(src: &str) -> bool {
    use kiln_lang::fmt::validate::{quick_check, Verdict};
    quick_check(src.as_bytes(), &lex(src.as_bytes())) == Verdict::Valid
}

/// hcl-edit's verdict, except that it refuses duplicate object keys, which
/// hclsyntax (and so Packer) accepts at parse time.
fn full_parser_accepts(src: &str) -> bool {
    match hcl_edit::parser::parse_body(src.trim_start_matches('\u{feff}')) {
        Ok(_) => true,
        Err(e) => e.message().contains("redefined object key"),
    }
}

/// The fast recogniser only ever says "valid" for input the full parser
/// accepts too; and it decides most real templates.
#[test]
fn fast_check_is_sound_and_covers_most_templates() {
    let mut total = 0;
    let mut fast = 0;
    for (i, src) in corpus().iter().enumerate() {
        let mut inputs = vec![src.clone()];
        for kind in 0..5u8 {
            inputs.push(mutate(src, kind, i as u64 * 31 + u64::from(kind)));
        }
        for input in inputs {
            total += 1;
            if fast_path_says_valid(&input) {
                fast += 1;
                assert!(
                    full_parser_accepts(&input),
                    "fast path accepted invalid input:\n{input}"
                );
            }
        }
    }
    println!("fast syntax check decided {fast} of {total} corpus inputs");
    assert!(fast * 2 > total, "fast path decided only {fast} of {total}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fast_check_is_sound_on_fragments(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("a"), Just("b"), Just(" = "), Just("\n"), Just("{"), Just("}"), Just("["), Just("]"),
                Just("("), Just(")"), Just("\""), Just("${"), Just("~}"), Just("}"), Just("<<EOT\n"),
                Just("\nEOT\n"), Just("# c\n"), Just("/* x */"), Just("-"), Just("!"), Just(","), Just("."),
                Just("1"), Just("2.5"), Just("?"), Just(":"), Just("+"), Just("=="), Just("&&"), Just("x"),
                Just("\"s\""), Just("f("), Just("\\n"), Just("\\"), Just("$"), Just("%"),
            ],
            0..40,
        )
    ) {
        let src: String = parts.concat();
        if fast_path_says_valid(&src) {
            prop_assert!(full_parser_accepts(&src), "fast path accepted invalid input: {:?}", src);
        }
    }
}
