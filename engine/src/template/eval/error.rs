//! The evaluator's internal error: a diagnostic whose location is still a
//! byte span, so that `try`/`can` can catch it and the public API can turn
//! it into a [`Diagnostic`] for the right file.

use std::ops::Range;

use crate::diag::{Diagnostic, SourceFile};

/// The error's contents (boxed in [`EvalError`] to keep results small: the
/// evaluator recurses, and small results keep its stack frames small).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorInner {
    pub summary: String,
    pub detail: String,
    pub span: Option<Range<usize>>,
    /// Not caught by `try`/`can` (the nesting limit).
    pub fatal: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError(Box<ErrorInner>);

pub(crate) type EvalResult<T> = Result<T, EvalError>;

impl std::ops::Deref for EvalError {
    type Target = ErrorInner;
    fn deref(&self) -> &ErrorInner {
        &self.0
    }
}

impl EvalError {
    pub fn new(
        summary: impl Into<String>,
        detail: impl Into<String>,
        span: Option<Range<usize>>,
    ) -> Self {
        EvalError(Box::new(ErrorInner {
            summary: summary.into(),
            detail: detail.into(),
            span,
            fatal: false,
        }))
    }

    /// Make the error one that `try` and `can` pass on.
    pub fn fatal(mut self) -> Self {
        self.0.fatal = true;
        self
    }

    /// Use `span` when the error has no location yet.
    pub fn with_fallback_span(mut self, span: Option<Range<usize>>) -> Self {
        if self.0.span.is_none() {
            self.0.span = span;
        }
        self
    }

    pub fn into_diagnostic(self, file: &SourceFile) -> Diagnostic {
        let ErrorInner {
            summary,
            detail,
            span,
            ..
        } = *self.0;
        Diagnostic::error(summary, detail).with_range_opt(span.map(|s| file.range(s)))
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
