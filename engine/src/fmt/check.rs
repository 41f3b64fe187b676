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
    match hcl_edit::parser::parse_body(body) {
        Ok(_) => Ok(()),
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
