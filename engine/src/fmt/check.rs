//! The syntax gate in front of the formatter: `packer fmt` parses a file
//! before formatting it and refuses files that do not parse. We parse with
//! hcl-edit and additionally reject the tokens that hclsyntax (HCL 2.8, the
//! version Packer 1.6.6 ships) reports as invalid even where hcl-edit would
//! accept them.

use super::error::FmtError;
use super::token::{Token, TokenKind};
use crate::diag::SourceFile;

/// Check that `src` is a syntactically valid HCL body. `toks` must be the
/// token stream of `src` (see [`super::lexer::lex`]).
pub fn check_syntax(src: &str, toks: &[Token]) -> Result<(), FmtError> {
    if let Some((tok, message)) = toks.iter().find_map(|t| invalid_token(t, src)) {
        let file = SourceFile::new("", src);
        let pos = file.pos(tok.start);
        return Err(FmtError::Syntax {
            line: pos.line,
            column: pos.column,
            byte: pos.byte,
            message,
        });
    }
    match hcl_edit::parser::parse_body(src) {
        Ok(_) => Ok(()),
        Err(e) => {
            let loc = e.location();
            Err(FmtError::Syntax {
                line: loc.line(),
                column: loc.column(),
                byte: loc.offset(),
                message: e.message().to_string(),
            })
        }
    }
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
        K::DoubleColon => {
            "function namespaces (\"::\") are not supported by this template language".to_string()
        }
        _ => return None,
    };
    Some((*t, msg))
}
