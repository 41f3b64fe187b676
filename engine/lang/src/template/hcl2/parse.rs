//! Reading and parsing one HCL2 file (`*.pkr.hcl`, `*.pkrvars.hcl`) into an
//! `hcl_edit` body. Every failure (I/O, size, UTF-8, syntax) becomes a
//! located diagnostic; the parser itself bounds nesting depth, so hostile
//! input can not overflow the stack.

// A located diagnostic is the natural error of reading a file; it is
// created once per file, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::path::Path;

use hcl_edit::structure::Body;

use crate::diag::{Diagnostic, SourceFile, Sources};

/// Largest HCL file read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A parsed HCL file and its text (for turning spans into ranges).
#[derive(Debug, Clone)]
pub struct HclFile {
    /// The file's name and text.
    pub file: SourceFile,
    /// The parsed top-level body.
    pub body: Body,
}

/// Read `path` (displayed as `name`) and parse it. The file's text is
/// recorded in `sources` whenever it could be read.
pub fn read_hcl_file(
    path: &Path,
    name: &str,
    sources: &mut Sources,
) -> Result<HclFile, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::error("Failed to read file", format!("Error reading {name}: {e}"))
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            "File too large",
            format!(
                "{name} is {} bytes; kiln reads HCL files up to {MAX_FILE_BYTES} bytes.",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error("Failed to read file", format!("Error reading {name}: {e}"))
    })?;
    parse_hcl_bytes(&bytes, name, sources)
}

/// Parse HCL bytes as the file `name`.
pub fn parse_hcl_bytes(
    bytes: &[u8],
    name: &str,
    sources: &mut Sources,
) -> Result<HclFile, Diagnostic> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let file = SourceFile::new(name, prefix);
            let range = file.range(valid..valid);
            sources.add(file);
            return Err(Diagnostic::error(
                "Invalid character encoding",
                format!("{name} is not valid UTF-8 (invalid byte at offset {valid}); HCL files must be UTF-8."),
            )
            .with_range(range));
        }
    };
    let file = SourceFile::new(name, text);
    sources.add(file.clone());
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => Ok(HclFile { file, body }),
        Err(e) => {
            let offset = e.location().offset().min(text.len());
            let end = next_char_end(text, offset);
            let msg = e.message().trim().to_string();
            Err(Diagnostic::error(
                "Invalid HCL syntax",
                if msg.is_empty() {
                    "The file could not be parsed.".to_string()
                } else {
                    format!("Parse error: {msg}.")
                },
            )
            .with_range(file.range(offset..end)))
        }
    }
}

/// The end of the character starting at `offset` (for one-character ranges).
fn next_char_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .chars()
        .next()
        .map(|c| offset + c.len_utf8())
        .unwrap_or(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_located() {
        let mut s = Sources::new();
        let err = parse_hcl_bytes(b"a = 1\nb = {\n", "x.pkr.hcl", &mut s).unwrap_err();
        let r = err.range.expect("range");
        assert_eq!(r.filename, "x.pkr.hcl");
        assert!(r.start.line >= 2, "{r:?}");
    }

    #[test]
    fn bad_utf8_is_located() {
        let mut s = Sources::new();
        let err = parse_hcl_bytes(b"a = \"\xff\"\n", "x.pkr.hcl", &mut s).unwrap_err();
        assert_eq!(err.summary, "Invalid character encoding");
        assert_eq!(err.range.map(|r| r.start.column), Some(6));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut s = Sources::new();
        let src = format!("a = {}1{}\n", "[".repeat(5000), "]".repeat(5000));
        assert!(parse_hcl_bytes(src.as_bytes(), "x.pkr.hcl", &mut s).is_err());
    }
}
