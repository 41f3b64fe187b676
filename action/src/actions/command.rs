//! Workflow commands (`::error file=…::message`), printed on stdout where
//! the runner reads them.

use std::fmt::Write as _;
use std::io::Write as _;

use super::escape;

/// The kind of an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// Where an annotation points; every field is optional, as for the
/// toolkit's `AnnotationProperties`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub end_line: Option<usize>,
    pub col: Option<usize>,
    pub end_column: Option<usize>,
}

/// `::NAME k=v,k=v::MESSAGE` with the toolkit's escaping; properties in
/// the toolkit's order (title, file, line, endLine, col, endColumn).
pub fn format(name: &str, props: &[(&str, String)], message: &str) -> String {
    let mut out = format!("::{name}");
    let mut first = true;
    for (k, v) in props {
        if v.is_empty() {
            continue;
        }
        out.push(if first { ' ' } else { ',' });
        first = false;
        let _ = write!(out, "{k}={}", escape::property(v));
    }
    let _ = write!(out, "::{}", escape::data(message));
    out
}

/// An annotation command line.
pub fn annotation(level: Level, title: &str, loc: &Location, message: &str) -> String {
    let mut props: Vec<(&str, String)> = vec![("title", title.to_string())];
    if let Some(f) = &loc.file {
        props.push(("file", f.clone()));
    }
    let num = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    props.push(("line", num(loc.line)));
    props.push(("endLine", num(loc.end_line)));
    props.push(("col", num(loc.col)));
    props.push(("endColumn", num(loc.end_column)));
    format(level.name(), &props, message)
}

/// Print one command line (flushed, so it is not reordered with what other
/// writers print) on stdout, or on stderr when stdout carries data (the
/// runner reads commands on both).
pub fn emit(line: &str, on_stderr: bool) {
    if on_stderr {
        let mut out = std::io::stderr().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_has_toolkit_shape() {
        let loc = Location {
            file: Some("dir/a,b:c.pkr.hcl".into()),
            line: Some(3),
            end_line: Some(3),
            col: Some(5),
            end_column: Some(9),
        };
        assert_eq!(
            annotation(Level::Error, "Bad: thing", &loc, "100% wrong\nreally"),
            "::error title=Bad%3A thing,file=dir/a%2Cb%3Ac.pkr.hcl,line=3,endLine=3,col=5,endColumn=9::100%25 wrong%0Areally"
        );
    }

    #[test]
    fn no_properties_means_no_space() {
        assert_eq!(format("endgroup", &[], ""), "::endgroup::");
        assert_eq!(format("group", &[], "a:b"), "::group::a:b");
    }
}
