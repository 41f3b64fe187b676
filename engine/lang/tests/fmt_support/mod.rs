//! Shared helpers of the fmt integration tests: locating the shared corpus
//! and whitespace mutations that keep a file's token sequence intact.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kiln_lang::fmt::lexer::lex;
use kiln_lang::fmt::token::{Token, TokenKind};

/// The `shared/` directory (`KILN_SHARED_DIR`, else beside the checkout).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "hcl") {
            out.push(p);
        }
    }
}

/// Every `.hcl` file under `shared/conformance/templates` and `shared/seeds`.
pub fn corpus_hcl_files() -> Vec<PathBuf> {
    let shared = shared_dir();
    let mut out = Vec::new();
    walk(&shared.join("conformance/templates"), &mut out);
    walk(&shared.join("seeds"), &mut out);
    out
}

/// A small deterministic PRNG (xorshift64*), so mutations are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// Whether whitespace before `t` (after `prev`) is whitespace the scanner
/// skips, i.e. not part of a string or heredoc literal.
fn gap_is_skippable(prev: Option<&Token>, t: &Token) -> bool {
    use TokenKind as K;
    if matches!(
        t.kind,
        K::QuotedLit
            | K::StringLit
            | K::CQuote
            | K::CHeredoc
            | K::TemplateInterp
            | K::TemplateControl
            | K::QuotedNewline
            | K::Eof
    ) {
        return false;
    }
    match prev {
        None => true,
        Some(p) => !matches!(
            p.kind,
            K::OQuote
                | K::QuotedLit
                | K::StringLit
                | K::OHeredoc
                | K::CHeredoc
                | K::TemplateSeqEnd
                | K::QuotedNewline
        ),
    }
}

fn wordish(k: TokenKind) -> bool {
    matches!(k, TokenKind::Ident | TokenKind::NumberLit)
}

fn symbolish(k: TokenKind) -> bool {
    use TokenKind as K;
    !matches!(
        k,
        K::Ident
            | K::NumberLit
            | K::Newline
            | K::Comment
            | K::OQuote
            | K::OParen
            | K::CParen
            | K::OBrack
            | K::CBrack
            | K::Comma
    )
}

/// Whether the spaces between `prev` and `t` can be removed without the
/// two tokens lexing differently.
fn may_remove_gap(prev: &Token, t: &Token) -> bool {
    let merges = (wordish(prev.kind) && wordish(t.kind))
        || (prev.kind == TokenKind::Ident && t.kind == TokenKind::Minus)
        || (symbolish(prev.kind) && symbolish(t.kind))
        || (t.kind == TokenKind::Comment
            && matches!(prev.kind, TokenKind::Slash | TokenKind::Star));
    !merges
}

/// Random whitespace between tokens (spaces, tabs, none where safe), random
/// indentation and trailing blanks; literal text is untouched.
pub fn respace(src: &str, rng: &mut Rng) -> String {
    let toks = lex(src.as_bytes());
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(src.len() * 2);
    let mut last_end = 0;
    let mut prev: Option<Token> = None;
    for t in &toks {
        let gap = &b[last_end..t.start];
        // The gap after `!` is left alone: Packer 1.6.6's hclwrite keeps
        // `! x` while current hclwrite (and kiln) print `!x`.
        let after_bang = prev.as_ref().is_some_and(|p| p.kind == TokenKind::Bang);
        if !after_bang
            && gap_is_skippable(prev.as_ref(), t)
            && gap.iter().all(|c| *c == b' ' || *c == b'\t')
        {
            let removable = match &prev {
                None => true,
                Some(p) => {
                    may_remove_gap(p, t)
                        || p.kind == TokenKind::Newline
                        || t.kind == TokenKind::Newline
                }
            };
            let choice = rng.below(6);
            let ws: &[u8] = match choice {
                0 if removable => b"",
                0 | 1 => b" ",
                2 => b"  ",
                3 => b"\t",
                4 => b"    ",
                _ => gap,
            };
            let ws = if ws.is_empty() && !removable {
                b" "
            } else {
                ws
            };
            out.extend_from_slice(ws);
        } else {
            out.extend_from_slice(gap);
        }
        out.extend_from_slice(&b[t.start..t.end]);
        last_end = t.end;
        prev = Some(*t);
    }
    out.extend_from_slice(&b[last_end..]);
    String::from_utf8(out).unwrap_or_else(|_| src.to_string())
}

/// Strip all indentation (outside literals).
pub fn dedent(src: &str) -> String {
    let toks = lex(src.as_bytes());
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(src.len());
    let mut last_end = 0;
    let mut prev: Option<Token> = None;
    for t in &toks {
        let gap = &b[last_end..t.start];
        let line_start = prev.as_ref().is_none_or(|p| {
            p.kind == TokenKind::Newline || (p.kind == TokenKind::Comment && b[p.end - 1] == b'\n')
        });
        if !(line_start && gap_is_skippable(prev.as_ref(), t)) {
            out.extend_from_slice(gap);
        }
        out.extend_from_slice(&b[t.start..t.end]);
        last_end = t.end;
        prev = Some(*t);
    }
    out.extend_from_slice(&b[last_end..]);
    String::from_utf8(out).unwrap_or_else(|_| src.to_string())
}

/// Duplicate some blank lines, drop others (newline tokens only, so string
/// and heredoc contents are untouched).
pub fn shuffle_blank_lines(src: &str, rng: &mut Rng) -> String {
    let toks = lex(src.as_bytes());
    let b = src.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(src.len() + 64);
    let mut last_end = 0;
    let mut prev_newline = false;
    for t in &toks {
        let is_nl = t.kind == TokenKind::Newline;
        let gap = &b[last_end..t.start];
        if is_nl && prev_newline && rng.below(3) == 0 {
            // drop this blank line (and its trailing blanks)
            last_end = t.end;
            continue;
        }
        out.extend_from_slice(gap);
        out.extend_from_slice(&b[t.start..t.end]);
        if is_nl && prev_newline && rng.below(2) == 0 {
            out.extend_from_slice(&b[t.start..t.end]);
        }
        last_end = t.end;
        prev_newline = is_nl;
    }
    out.extend_from_slice(&b[last_end..]);
    String::from_utf8(out).unwrap_or_else(|_| src.to_string())
}

/// Convert line endings to CRLF.
pub fn to_crlf(src: &str) -> String {
    src.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// The named mutations applied to each corpus file.
pub fn mutations(src: &str, seed: u64) -> Vec<(&'static str, String)> {
    let mut rng = Rng::new(seed);
    let respaced = respace(src, &mut rng);
    let blanks = shuffle_blank_lines(src, &mut rng);
    let respaced2 = respace(src, &mut rng);
    let mut rng2 = Rng::new(seed ^ 0xABCD);
    let combined = to_crlf(&shuffle_blank_lines(
        &respace(&dedent(src), &mut rng2),
        &mut rng2,
    ));
    vec![
        ("dedent", dedent(src)),
        ("respace", respaced),
        ("respace2", respaced2),
        ("blank-lines", blanks),
        ("crlf", to_crlf(src)),
        ("combined", combined),
    ]
}

/// Delete or duplicate one random significant token (outside literals):
/// mostly produces invalid input, to compare the syntax gates.
pub fn token_edit(src: &str, rng: &mut Rng) -> String {
    let toks = lex(src.as_bytes());
    let candidates: Vec<&Token> = toks
        .iter()
        .filter(|t| {
            !matches!(
                t.kind,
                TokenKind::Eof
                    | TokenKind::QuotedLit
                    | TokenKind::StringLit
                    | TokenKind::CHeredoc
                    | TokenKind::QuotedNewline
            )
        })
        .collect();
    if candidates.is_empty() {
        return src.to_string();
    }
    let t = candidates[rng.below(candidates.len() as u64) as usize];
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len() + 16);
    out.extend_from_slice(&b[..t.start]);
    if rng.below(2) == 0 {
        out.extend_from_slice(&b[t.start..t.end]);
        out.push(b' ');
        out.extend_from_slice(&b[t.start..t.end]);
    }
    out.extend_from_slice(&b[t.end..]);
    String::from_utf8(out).unwrap_or_else(|_| src.to_string())
}
