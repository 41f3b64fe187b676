//! The syntax gate in front of the formatter: `packer fmt` parses a file
//! before formatting it and refuses files that do not parse. We parse with
//! hcl-edit and additionally reject the tokens that hclsyntax (HCL 2.8, the
//! version Packer 1.6.6 ships) reports as invalid even where hcl-edit would
//! accept them.

use super::error::FmtError;
use super::token::{Token, TokenKind};
use super::validate::{quick_check, Verdict};
use crate::diag::SourceFile;

/// Check that `src` is a syntactically valid HCL body. `toks` must be the
/// token stream of `src` (see [`super::lexer::lex`]).
pub fn check_syntax(src: &str, toks: &[Token]) -> Result<(), FmtError> {
    let located = |byte: usize, message: String| {
        let pos = SourceFile::new("", src).pos(byte);
        FmtError::Syntax {
            line: pos.line,
            column: pos.column,
            byte: pos.byte,
            message,
        }
    };
    if let Some((tok, message)) = toks.iter().find_map(|t| invalid_token(t, src)) {
        return Err(located(tok.start, message));
    }
    if let Some((tok, message)) = bad_for_expression(src, toks) {
        return Err(located(tok.start, message));
    }
    if let Some((tok, message)) = unterminated(toks) {
        return Err(located(tok.start, message));
    }
    // Most files are in the subset the fast recogniser certainly accepts.
    if quick_check(src.as_bytes(), toks) == Verdict::Valid {
        return Ok(());
    }
    // hclsyntax skips a leading byte order mark; hcl-edit does not.
    let (body, skipped) = match src.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (src, 0),
    };
    match parse_full(body) {
        Ok(()) => Ok(()),
        Err(e) => {
            let loc = e.location();
            let column = if loc.line() == 1 && skipped > 0 {
                loc.column() + 1
            } else {
                loc.column()
            };
            Err(FmtError::Syntax {
                line: loc.line(),
                column,
                byte: loc.offset() + skipped,
                message: e.message().to_string(),
            })
        }
    }
}

/// Parse with hcl-edit. hcl-edit refuses duplicate keys in an object
/// constructor, which hclsyntax (and so `packer fmt`) accepts; such a key
/// is renamed to a fresh name of the same length (so later error positions
/// stay true) and the parse is retried.
fn parse_full(body: &str) -> Result<(), hcl_edit::parser::Error> {
    let mut patched: Option<String> = None;
    for attempt in 0..64 {
        let text = patched.as_deref().unwrap_or(body);
        match hcl_edit::parser::parse_body(text) {
            Ok(_) => return Ok(()),
            Err(e) if e.message().contains("redefined object key") => {
                match rename_key(text, e.location().offset(), attempt) {
                    Some(t) => patched = Some(t),
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    hcl_edit::parser::parse_body(patched.as_deref().unwrap_or(body)).map(|_| ())
}

/// Replace the object key (identifier or quoted string without
/// interpolation) starting at byte `at` with a same-length name unique to
/// `attempt`, or `None` when that is not possible.
fn rename_key(text: &str, at: usize, attempt: usize) -> Option<String> {
    let bytes = text.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80;
    let (start, end) = match *bytes.get(at)? {
        b'"' => {
            let len = bytes[at + 1..]
                .iter()
                .position(|&c| matches!(c, b'"' | b'\\' | b'$' | b'%' | b'\n'))?;
            if bytes.get(at + 1 + len) != Some(&b'"') {
                return None;
            }
            (at + 1, at + 1 + len)
        }
        c if is_name(c) => {
            let len = bytes[at..]
                .iter()
                .position(|&c| !is_name(c))
                .unwrap_or(bytes.len() - at);
            (at, at + len)
        }
        _ => return None,
    };
    let len = end - start;
    if len == 0 {
        return None;
    }
    const FIRST: &[u8] = b"_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const REST: &[u8] = b"_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = attempt;
    let mut name = String::with_capacity(len);
    name.push(char::from(FIRST[n % FIRST.len()]));
    n /= FIRST.len();
    while name.len() < len {
        name.push(char::from(REST[n % REST.len()]));
        n /= REST.len();
    }
    if n > 0 {
        return None;
    }
    // Only ASCII is written, over a run that starts and ends on character
    // boundaries of the same length in bytes.
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..start)?);
    out.push_str(&name);
    out.push_str(text.get(end..)?);
    Some(out)
}

/// hclsyntax reads `[for` / `{for` as the start of a for-expression, which
/// must name an iteration variable next; hcl-edit would read `[for]` as a
/// tuple holding a variable called `for`.
fn bad_for_expression(src: &str, toks: &[Token]) -> Option<(Token, String)> {
    // (previous significant kind, whether it was a `for` after an opener)
    let mut prev = TokenKind::Nil;
    let mut after_open_for = false;
    for t in toks {
        if matches!(t.kind, TokenKind::Newline | TokenKind::Comment) {
            continue;
        }
        if after_open_for && t.kind != TokenKind::Ident {
            return Some((
                *t,
                "invalid \"for\" expression: an iteration variable name is expected after \"for\""
                    .to_string(),
            ));
        }
        after_open_for = matches!(prev, TokenKind::OBrack | TokenKind::OBrace)
            && t.kind == TokenKind::Ident
            && src.as_bytes().get(t.start..t.end) == Some(b"for".as_slice());
        prev = t.kind;
    }
    None
}

/// A heredoc without its closing marker (hcl-edit also accepts a marker
/// that ends the file without a newline; hclsyntax does not) or a quoted
/// string left open.
fn unterminated(toks: &[Token]) -> Option<(Token, String)> {
    let mut open: Vec<Token> = Vec::new();
    for t in toks {
        match t.kind {
            TokenKind::OHeredoc | TokenKind::OQuote => open.push(*t),
            TokenKind::CHeredoc | TokenKind::CQuote => {
                open.pop();
            }
            _ => {}
        }
    }
    let first = *open.first()?;
    let msg = if first.kind == TokenKind::OHeredoc {
        "unterminated heredoc: the closing marker must be alone on a line that ends with a newline"
    } else {
        "unterminated template string"
    };
    Some((first, msg.to_string()))
}

fn invalid_token(t: &Token, src: &str) -> Option<(Token, String)> {
    use TokenKind as K;
    let text = src.get(t.start..t.end).unwrap_or("");
    let msg = match t.kind {
        K::Invalid => format!("invalid character {text:?}"),
        K::BadUtf8 => "invalid UTF-8 sequence".to_string(),
        K::BitwiseAnd => "unsupported operator \"&\"; did you mean \"&&\"?".to_string(),
        K::BitwiseOr => "unsupported operator \"|\"; did you mean \"||\"?".to_string(),
        K::BitwiseNot => "unsupported operator \"~\"; did you mean \"!\"?".to_string(),
        K::BitwiseXor => "unsupported operator \"^\"".to_string(),
        K::Apostrophe => {
            "invalid character \"'\"; single quotes are not valid, use double quotes (\")"
                .to_string()
        }
        K::Backtick => "invalid character \"`\"".to_string(),
        K::Semicolon => {
            "invalid character \";\"; attribute definitions end with a newline".to_string()
        }
        K::QuotedNewline => {
            "invalid multi-line string: quoted strings may not contain line breaks; use a heredoc"
                .to_string()
        }
        K::DoubleColon => {
            "function namespaces (\"::\") are not supported by this template language".to_string()
        }
        _ => return None,
    };
    Some((*t, msg))
}
