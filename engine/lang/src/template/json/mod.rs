//! Packer's legacy JSON templates (the format before HCL2): parsing with
//! locations, the Go-template interpolation engine, user variables, and
//! the conversion to the shared [`crate::template::model::Template`].
//!
//! Entry points: [`load_json_template`] and [`interpolate()`].
//!
//! * `parse` — JSON with the span of every key and value (depth and size
//!   limits, line:column errors, repeated keys reported).
//! * `gotmpl` / `interpolate` / `funcs` / `timefmt` — the Go-template
//!   engine and Packer's function library (`user`, `env`, `timestamp`,
//!   `isotime`, `strftime`, `split`, `replace`, `clean_resource_name`, …).
//! * `vars` — `variables`, `sensitive-variables`, `-var-file`, `-var`.
//! * `template` / `components` — root keys → one [`crate::template::model::Build`].
//! * `transpose` / `hclwrite` / `upgrade_body` / `upgrade_text` — the
//!   pieces of `hcl2_upgrade` ([`crate::template::upgrade`]).
//!
//! Semantics follow Packer 1.16 (checked against `packer validate` in the
//! tests): an undefined `{{user}}` variable is an error inside `variables`
//! and renders empty elsewhere; `{{env}}` is only allowed in `variables`;
//! build-time actions (`{{build_name}}`, `{{build_type}}`, `{{build}}`,
//! `{{ .Field }}`) stay unrendered in loaded configs until the runner
//! renders them with a context from [`build_context`].

pub mod clean;
pub(crate) mod components;
pub mod funcs;
pub mod gotmpl;
pub mod hclwrite;
pub mod interpolate;
pub mod parse;
pub mod render;
pub mod template;
pub mod timefmt;
pub(crate) mod transpose;
pub(crate) mod upgrade_body;
pub(crate) mod upgrade_text;
pub(crate) mod vars;

use std::ops::Range as ByteRange;
use std::path::Path;

pub use interpolate::{interpolate, InterpContext, InterpError};
pub use render::render_component;
pub use template::{build_context, load_json_template, load_json_template_with_sources};

use crate::diag::{Diagnostic, Diagnostics, Range, SourceFile, Sources};
use parse::JsonNode;

/// Largest JSON file read (templates and var files).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A source file being read, for turning byte spans into ranges.
#[derive(Debug, Clone)]
pub struct FileCtx {
    /// The file's name and text.
    pub file: SourceFile,
    /// Object keys repeated in the file (key, span of the repetition).
    pub duplicates: Vec<(String, ByteRange<usize>)>,
}

impl FileCtx {
    /// The diagnostic range of a byte span of the file.
    pub fn range(&self, span: &ByteRange<usize>) -> Range {
        self.file.range(span.clone())
    }
}

/// An error diagnostic at a range.
pub(crate) fn located(
    summary: impl Into<String>,
    detail: impl Into<String>,
    range: Range,
) -> Diagnostic {
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
            diags.push(Diagnostic::error(
                "Failed to read file",
                format!("Error reading {name}: {e}"),
            ));
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
            diags.push(located(
                "Invalid UTF-8",
                format!("{name} is not valid UTF-8: {}.", e.message),
                range,
            ));
            return None;
        }
    };
    let mut file = FileCtx {
        file: SourceFile::new(name, text),
        duplicates: Vec::new(),
    };
    sources.add(file.file.clone());
    match parse::parse_document(file.file.text()) {
        Ok(doc) => {
            file.duplicates = doc.duplicates;
            Some((file, doc.root))
        }
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

/// Render a diagnostic list for tests and tools that only need text.
pub fn describe(diags: &Diagnostics) -> String {
    diags
        .iter()
        .map(|d: &Diagnostic| match &d.range {
            Some(r) => format!(
                "{}:{}:{}: {}: {}",
                r.filename, r.start.line, r.start.column, d.summary, d.detail
            ),
            None => format!("{}: {}", d.summary, d.detail),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
