//! hclwrite-compatible formatter: `packer fmt` / `hclwrite.Format` output,
//! byte for byte.
//!
//! * [`format()`] parse-checks a whole configuration file and formats it, as
//!   `packer fmt` does (a file that does not parse is an error);
//! * [`format_unchecked`] formats any input at the token level, as
//!   `hclwrite.Format` does, even fragments that do not parse.
//!
//! The pipeline is [`lexer`] (an hclsyntax-equivalent scanner) →
//! `format.rs` (indentation, spacing, alignment on the token
//! stream) → printing. [`files`] holds file discovery and atomic writes for
//! the CLI, [`diff`] the unified diff `-diff` prints.
//!
//! The syntax gate of [`format()`] first rejects the tokens hclsyntax
//! rejects, then asks a fast conservative recogniser ([`validate`]); only
//! when that is unsure does it run hcl-edit's full parser.
//!
//! # Known differences from Packer 1.6.6
//!
//! * kiln follows current hclwrite (HCL 2.24, Packer 1.16): no space after
//!   a logical `!` (`!var.x`); Packer 1.6.6 prints `! var.x`. Everything
//!   else is byte-identical (see `tests/fmt_packer_diff.rs`).
//! * Expressions nested more than 64 levels deep that the fast recogniser
//!   leaves to hcl-edit are refused (hcl-edit's limit); hclsyntax has none.
//! * The CLI skips dotfiles, `*~` and `#...#` in directories and has
//!   `-recursive` and `-` (stdin), like current Packer / Terraform.

mod check;
pub mod diff;
mod error;
pub mod files;
mod format;
pub mod lexer;
pub mod token;
pub mod validate;

pub use error::FmtError;

use crate::diag::SourceFile;

/// Format a configuration file the way `packer fmt` does: the source must
/// parse as an HCL body, otherwise a located [`FmtError`] is returned.
pub fn format(src: &str) -> Result<String, FmtError> {
    let mut toks = lexer::lex(src.as_bytes());
    check::check_syntax(src, &toks)?;
    format::format_tokens(&mut toks, src.as_bytes());
    Ok(render_string(&toks, src))
}

/// Format raw file bytes: invalid UTF-8 is reported with its location,
/// then [`format()`] applies.
pub fn format_bytes(src: &[u8]) -> Result<String, FmtError> {
    let text = std::str::from_utf8(src).map_err(|e| {
        let good = e.valid_up_to();
        // The valid prefix is a str, so positions can be computed on it.
        let prefix = std::str::from_utf8(&src[..good]).unwrap_or_default();
        let pos = SourceFile::new("", prefix).pos(good);
        FmtError::InvalidUtf8 {
            line: pos.line,
            column: pos.column,
            byte: good,
        }
    })?;
    format(text)
}

/// Check that `src` parses as an HCL configuration body, without formatting.
pub fn check_syntax(src: &str) -> Result<(), FmtError> {
    let toks = lexer::lex(src.as_bytes());
    check::check_syntax(src, &toks)
}

/// Format at the token level with `hclwrite.Format` semantics: never fails,
/// also formats inputs that do not parse (expression fragments, unbalanced
/// brackets, ...). Only whitespace between tokens changes.
pub fn format_unchecked(src: &str) -> String {
    let mut toks = lexer::lex(src.as_bytes());
    format::format_tokens(&mut toks, src.as_bytes());
    render_string(&toks, src)
}

/// [`format_unchecked`] over raw bytes (which need not be UTF-8).
pub fn format_unchecked_bytes(src: &[u8]) -> Vec<u8> {
    let mut toks = lexer::lex(src);
    format::format_tokens(&mut toks, src);
    format::render(&toks, src)
}

fn render_string(toks: &[token::Token], src: &str) -> String {
    let bytes = format::render(toks, src.as_bytes());
    // Tokens are whole UTF-8 sequences of a valid str and only ASCII spaces
    // are inserted, so this cannot fail; fall back to a lossy copy anyway.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whether a file name is one `packer fmt` formats: `*.pkr.hcl` and
/// `*.pkrvars.hcl` (which includes `*.auto.pkrvars.hcl`).
pub fn is_hcl_file_name(name: &str) -> bool {
    name.ends_with(".pkr.hcl") || name.ends_with(".pkrvars.hcl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_indents() {
        let out = format("b {\na=1\nbungle = \"x\" # c\n}\n").unwrap_or_default();
        assert_eq!(out, "b {\n  a      = 1\n  bungle = \"x\" # c\n}\n");
    }

    #[test]
    fn unchecked_formats_fragments_and_checked_rejects_them() {
        assert_eq!(format_unchecked("( a+-2 )"), "(a + -2)");
        let err = format("( a+-2 )").err();
        assert!(
            matches!(err, Some(FmtError::Syntax { line: 1, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn crlf_is_kept() {
        assert_eq!(
            format("a=1\r\nbb = 2 # c\r\n").ok().as_deref(),
            Some("a  = 1\r\nbb = 2 # c\r\n")
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let err = format_bytes(b"a = 1\nb = \"\xff\"\n").err();
        assert_eq!(
            err,
            Some(FmtError::InvalidUtf8 {
                line: 2,
                column: 6,
                byte: 11
            })
        );
    }

    #[test]
    fn rejects_namespaced_functions_and_stray_operators() {
        for src in ["a = x::y()\n", "a = b & c\n", "a = 'x'\n", "a = 1;\n"] {
            assert!(format(src).is_err(), "{src}");
        }
    }

    #[test]
    fn duplicate_object_keys_are_accepted_like_packer() {
        // The for-expression keeps the fast recogniser out, so hcl-edit
        // (which refuses duplicate object keys) decides.
        let src =
            "x = {\n  a   = 1\n  a   = 2\n  \"k\" = 3\n  \"k\" = 4\n}\ny = [for v in l : v]\n";
        assert_eq!(format(src).ok().as_deref(), Some(src));
        // A real error after the renamed key is still located correctly.
        let bad = "x = {\n  a = 1\n  a = 2\n}\ny = [for v in l : v]\nz = {\n";
        let err = format(bad).err();
        assert!(
            matches!(err, Some(FmtError::Syntax { line, .. }) if line >= 6),
            "{err:?}"
        );
        // Duplicate attributes of a body stay an error, as in hclsyntax.
        assert!(format("a = 1\na = 2\ny = [for v in l : v]\n").is_err());
    }

    #[test]
    fn hcl_file_names() {
        assert!(is_hcl_file_name("a.pkr.hcl"));
        assert!(is_hcl_file_name("x.auto.pkrvars.hcl"));
        assert!(!is_hcl_file_name("a.hcl"));
        assert!(!is_hcl_file_name("a.json"));
    }
}
