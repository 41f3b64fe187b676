//! Diagnostics as annotations (at their exact range, file relative to the
//! workspace) and as a table in the job summary.

use std::fmt::Write as _;

use kiln_lang::diag::{Diagnostic, Range, Severity, Sources};

use super::command::{Level, Location};
use super::{markdown, Actions};

/// Where a diagnostic points, in GitHub's terms: 1-based lines and
/// columns, the end inclusive (HCL ranges end after the last character).
pub fn location(gh: &Actions, range: Option<&Range>, sources: &Sources) -> Location {
    let Some(r) = range else {
        return Location::default();
    };
    let (end_line, end_column) = if r.end.byte > r.start.byte {
        match sources.get(&r.filename) {
            Some(f) => {
                let last = f.pos(r.end.byte - 1);
                (last.line, last.column)
            }
            None if r.end.column > 1 => (r.end.line, r.end.column - 1),
            None => (r.end.line, r.end.column),
        }
    } else {
        (r.start.line, r.start.column)
    };
    Location {
        file: Some(gh.relative(&r.filename)),
        line: Some(r.start.line),
        end_line: Some(end_line.max(r.start.line)),
        col: Some(r.start.column),
        end_column: Some(end_column),
    }
}

fn level(d: &Diagnostic) -> Level {
    match d.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    }
}

/// Annotate each diagnostic (GitHub's cap applies) and add a section for
/// `heading` to the summary listing every one of them.
pub fn report(gh: &Actions, heading: &str, diags: &[Diagnostic], sources: &Sources) {
    let mut rows = String::new();
    for d in diags {
        let loc = location(gh, d.range.as_ref(), sources);
        let message = if d.detail.trim().is_empty() {
            d.summary.clone()
        } else {
            d.detail.clone()
        };
        gh.annotate(level(d), &d.summary, &loc, &message);
        let place = match (&loc.file, loc.line, loc.col) {
            (Some(f), Some(l), Some(c)) => markdown::code(&format!("{f}:{l}:{c}")),
            _ => String::new(),
        };
        let icon = match d.severity {
            Severity::Error => ":x: error",
            Severity::Warning => ":warning: warning",
        };
        let mut problem = format!("**{}**", markdown::cell(&d.summary));
        if !d.detail.trim().is_empty() {
            let _ = write!(problem, "<br>{}", markdown::cell(&d.detail));
        }
        let _ = writeln!(rows, "| {icon} | {place} | {problem} |");
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let mut md = String::new();
    if diags.is_empty() {
        let _ = writeln!(md, "{heading}: :white_check_mark: valid\n");
    } else {
        let icon = if errors > 0 { ":x:" } else { ":warning:" };
        let _ = writeln!(
            md,
            "{heading}: {icon} {}, {}\n",
            markdown::count(errors, "error"),
            markdown::count(warnings, "warning")
        );
        md.push_str("| | Location | Problem |\n| --- | --- | --- |\n");
        md.push_str(&rows);
        md.push('\n');
    }
    gh.summary(&md);
}
