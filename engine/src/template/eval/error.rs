//! The evaluator's internal error: a diagnostic whose location is still a
//! byte span, so that `try`/`can` can catch it and the public API can turn
//! it into a [`Diagnostic`] for the right file.

use std::ops::Range;

use crate::diag::{Diagnostic, SourceFile};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError {
    pub summary: String,
    pub detail: String,
    pub span: Option<Range<usize>>,
}

pub(crate) type EvalResult<T> = Result<T, EvalError>;

impl EvalError {
    pub fn new(
        summary: impl Into<String>,
        detail: impl Into<String>,
        span: Option<Range<usize>>,
    ) -> Self {
        EvalError {
            summary: summary.into(),
            detail: detail.into(),
            span,
        }
    }

    /// Use `span` when the error has no location yet.
    pub fn with_fallback_span(mut self, span: Option<Range<usize>>) -> Self {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }

    pub fn into_diagnostic(self, file: &SourceFile) -> Diagnostic {
        Diagnostic::error(self.summary, self.detail)
            .with_range_opt(self.span.map(|s| file.range(s)))
    }
}

/// `LINE,COL-COL: Summary; Detail` (HCL's one-line diagnostic form, without
/// the file name).
pub(crate) fn diagnostic_to_string(d: &Diagnostic) -> String {
    let loc = match &d.range {
        Some(r) if r.start.line == r.end.line => {
            format!("{},{}-{}: ", r.start.line, r.start.column, r.end.column)
        }
        Some(r) => format!(
            "{},{}-{},{}: ",
            r.start.line, r.start.column, r.end.line, r.end.column
        ),
        None => String::new(),
    };
    if d.detail.is_empty() {
        format!("{loc}{}", d.summary)
    } else {
        format!("{loc}{}; {}", d.summary, d.detail)
    }
}

/// The closest candidate to `name` (for "Did you mean …?"), if any is close
/// enough.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = levenshtein(name, c);
        let better = match best {
            Some((bd, _)) => d < bd,
            None => true,
        };
        if d < 3 && better {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
