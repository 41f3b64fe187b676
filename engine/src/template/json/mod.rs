//! Packer's legacy JSON templates (the format before HCL2): parsing with
//! locations, the Go-template interpolation engine, user variables, and
//! the conversion to the shared [`crate::template::model::Template`].
//!
//! Entry points: [`load_json_template`] and [`interpolate`].

pub mod gotmpl;
pub mod hclwrite;
pub mod interpolate;
pub mod parse;
pub mod template;
pub mod timefmt;
pub mod transpose;
pub mod upgrade_text;
pub mod vars;

use std::ops::Range as ByteRange;
use std::path::Path;

pub use interpolate::{interpolate, InterpContext, InterpError};
pub use template::{build_context, load_json_template};

use crate::diag::{Diagnostic, Diagnostics, Range, SourceFile, Sources};
use parse::JsonNode;

/// Largest JSON file read (templates and var files).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A source file being read, for turning byte spans into ranges.
#[derive(Debug, Clone)]
pub struct FileCtx {
    pub file: SourceFile,
}

impl FileCtx {
    pub fn range(&self, span: &ByteRange<usize>) -> Range {
        self.file.range(span.clone())
    }
}

/// An error diagnostic at a range.
pub(crate) fn located(summary: impl Into<String>, detail: impl Into<String>, range: Range) -> Diagnostic {
    Diagnostic::error(summary, detail).with_range(range)
}

/// Read and parse a JSON file, recording it in `sources`. Errors (I/O,
/// UTF-8, syntax) become located diagnostics and `None`.
pub fn read_json_file(
    full_path: &Path,
    name: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<(FileCtx, JsonNode)> {
    let too_big = std::fs::metadata(full_path)
        .map(|m| m.len() > MAX_FILE_BYTES)
        .unwrap_or(false);
    if too_big {
        diags.push(Diagnostic::error(
            "File too large",
            format!("{name} is larger than {MAX_FILE_BYTES} bytes."),
        ));
        return None;
    }
    let bytes = match std::fs::read(full_path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error("Failed to read file", format!("Error reading {name}: {e}")));
            return None;
        }
    };
    parse_json_bytes(&bytes, name, sources, diags)
}

/// Parse JSON bytes as a named file (see [`read_json_file`]).
pub fn parse_json_bytes(
    bytes: &[u8],
    name: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<(FileCtx, JsonNode)> {
    let text = match parse::check_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) => {
            // Show the valid prefix so the position can be rendered.
            let prefix = String::from_utf8_lossy(&bytes[..e.offset]).into_owned();
            let file = SourceFile::new(name, prefix);
            let range = file.range(e.offset..e.offset);
            sources.add(file);
            diags.push(located("Invalid UTF-8", format!("{name} is not valid UTF-8: {}.", e.message), range));
            return None;
        }
    };
    let file = FileCtx {
        file: SourceFile::new(name, text),
    };
    sources.add(file.file.clone());
    match parse::parse(file.file.text()) {
        Ok(root) => Some((file, root)),
        Err(e) => {
            let range = file.range(&(e.offset..e.end));
            diags.push(located(
                "Invalid JSON",
                format!(
                    "Error parsing JSON: {}\nAt line {}, column {} (offset {}).",
                    e.message, range.start.line, range.start.column, e.offset
                ),
                range,
            ));
            None
        }
    }
}
