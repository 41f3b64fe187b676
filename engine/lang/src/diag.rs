//! Diagnostics as data: every error or warning the engine finds is a
//! [`Diagnostic`]; renderers turn a list of them into HCL-style text
//! ([`render_text`]), `terraform validate -json`-shaped JSON
//! ([`render_json`]), GitHub workflow annotations and check-run annotations.
//! The engine itself never prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The template is invalid: the command fails.
    Error,
    /// Reported, but the template is still usable.
    Warning,
}

/// A position in a source file. `line` and `column` are 1-based (column
/// counts characters, as HCL does); `byte` is the 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 0-based byte offset.
    pub byte: usize,
}

/// A half-open range `[start, end)` in a named file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    /// The file name as shown in messages (relative to the working directory when possible).
    pub filename: String,
    /// The first position in the range.
    pub start: Pos,
    /// The position just past the range.
    pub end: Pos,
}

/// One finding about a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One-line summary, e.g. `Unsupported argument`.
    pub summary: String,
    /// Explanation shown under the source excerpt (may be empty).
    pub detail: String,
    /// Where in the source; `None` for findings not tied to a place (e.g. a missing file).
    pub range: Option<Range>,
    /// The enclosing block, e.g. `source "null" "basic"`, shown as
    /// `on FILE line N, in <context>:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl Diagnostic {
    /// A new error, with no range or context.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            range: None,
            context: None,
        }
    }

    /// A new warning, with no range or context.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    /// Attach a source range.
    pub fn with_range(mut self, range: Range) -> Self {
        self.range = Some(range);
        self
    }

    /// Attach a source range if there is one (replaces any range set before).
    pub fn with_range_opt(mut self, range: Option<Range>) -> Self {
        self.range = range;
        self
    }

    /// Attach the enclosing block shown as `in <context>`.
    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }
    /// Append one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Append several diagnostics.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    /// How many diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
    /// How many diagnostics are warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }
    /// Whether there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The diagnostics in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

/// The text of one source file, with a line index for turning byte offsets
/// into line/column positions.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file named `name` (as diagnostics show it) with its full text.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The file's name, as diagnostics show it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's full text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The position of a byte offset (clamped to the text, moved back to a
    /// character boundary).
    pub fn pos(&self, byte: usize) -> Pos {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line_idx = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx];
        let column = self.text[start..byte].chars().count() + 1;
        Pos {
            line: line_idx + 1,
            column,
            byte,
        }
    }

    /// A [`Range`] for a byte span.
    pub fn range(&self, span: std::ops::Range<usize>) -> Range {
        Range {
            filename: self.name.clone(),
            start: self.pos(span.start),
            end: self.pos(span.end.max(span.start)),
        }
    }

    /// The text of a 1-based line, without its line terminator.
    pub fn line(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }
}

/// The source files diagnostics may point into, by file name.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: BTreeMap<String, SourceFile>,
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Sources::default()
    }
    /// Add a file (replaces a file of the same name).
    pub fn add(&mut self, file: SourceFile) {
        self.files.insert(file.name.clone(), file);
    }
    /// The file diagnostics call `name`, if it was read.
    pub fn get(&self, name: &str) -> Option<&SourceFile> {
        self.files.get(name)
    }
}

/// Render diagnostics the way HCL (and so Packer) prints them:
///
/// ```text
/// Error: Unsupported argument
///
///   on example.pkr.hcl line 3, in source "null" "basic":
///    3:   bogus = 1
///         ^^^^^
///
/// An argument named "bogus" is not expected here.
/// ```
pub fn render_text(diags: &[Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diags {
        let label = match d.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        let _ = writeln!(out, "{label}: {}", d.summary);
        if let Some(r) = &d.range {
            out.push('\n');
            let _ = write!(out, "  on {} line {}", r.filename, r.start.line);
            match &d.context {
                Some(ctx) => {
                    let _ = writeln!(out, ", in {ctx}:");
                }
                None => out.push_str(":\n"),
            }
            if let Some(line) = sources.get(&r.filename).and_then(|f| f.line(r.start.line)) {
                let gutter = format!("{:>4}: ", r.start.line);
                let _ = writeln!(out, "{gutter}{line}");
                let from = r.start.column.saturating_sub(1);
                let to = if r.end.line == r.start.line {
                    r.end.column.saturating_sub(1).max(from + 1)
                } else {
                    line.chars().count().max(from + 1)
                };
                let pad: String = line
                    .chars()
                    .take(from)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(
                    out,
                    "{}{pad}{}",
                    " ".repeat(gutter.len()),
                    "^".repeat(to - from)
                );
            }
        }
        if !d.detail.is_empty() {
            out.push('\n');
            out.push_str(&d.detail);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// Render diagnostics as `terraform validate -json` does:
/// `{valid, error_count, warning_count, diagnostics: [...]}`.
pub fn render_json(diags: &[Diagnostic]) -> serde_json::Value {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    serde_json::json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": diags.len() - errors,
        "diagnostics": diags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let f = SourceFile::new("a.pkr.hcl", "ab\nçd = 1\n");
        let p = f.pos(7); // after "çd " (ç is two bytes)
        assert_eq!((p.line, p.column, p.byte), (2, 4, 7));
        assert_eq!(f.line(2), Some("çd = 1"));
        assert_eq!(f.line(4), None);
        // a byte inside a multi-byte character moves back to its start
        assert_eq!(f.pos(4).column, 1);
    }

    #[test]
    fn text_rendering_points_at_the_range() {
        let f = SourceFile::new("t.pkr.hcl", "source \"null\" \"x\" {\n  bogus = 1\n}\n");
        let r = f.range(22..27);
        let mut s = Sources::new();
        s.add(f);
        let d = Diagnostic::error(
            "Unsupported argument",
            "An argument named \"bogus\" is not expected here.",
        )
        .with_range(r)
        .with_context("source \"null\" \"x\"");
        let text = render_text(&[d], &s);
        assert!(text.starts_with(
            "Error: Unsupported argument\n\n  on t.pkr.hcl line 2, in source \"null\" \"x\":\n"
        ));
        assert!(
            text.contains("   2:   bogus = 1\n        ^^^^^\n"),
            "{text}"
        );
    }

    #[test]
    fn json_rendering_counts() {
        let d = vec![Diagnostic::error("a", ""), Diagnostic::warning("b", "")];
        let j = render_json(&d);
        assert_eq!(j["valid"], false);
        assert_eq!(j["error_count"], 1);
        assert_eq!(j["warning_count"], 1);
        assert_eq!(j["diagnostics"][1]["severity"], "warning");
    }
}
