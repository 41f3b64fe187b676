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
    /// Further errors found in the same evaluation (HCL reports them all).
    pub also: Vec<EvalError>,
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
            also: Vec::new(),
        }))
    }

    /// One error standing for all of `errors` (`None` when there are none).
    pub fn join(errors: Vec<EvalError>) -> Option<EvalError> {
        let mut iter = errors.into_iter();
        let mut first = iter.next()?;
        for e in iter {
            first.0.fatal |= e.fatal;
            first.0.also.push(e);
        }
        Some(first)
    }

    /// This error followed by `others`.
    pub fn followed_by(mut self, others: impl IntoIterator<Item = Option<EvalError>>) -> Self {
        for e in others.into_iter().flatten() {
            self.0.fatal |= e.fatal;
            self.0.also.push(e);
        }
        self
    }

    /// All errors this one stands for, in order.
    pub fn into_diagnostics(self, file: &SourceFile) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.collect_into(file, &mut out);
        out
    }

    fn collect_into(self, file: &SourceFile, out: &mut Vec<Diagnostic>) {
        let ErrorInner {
            summary,
            detail,
            span,
            also,
            ..
        } = *self.0;
        out.push(Diagnostic::error(summary, detail).with_range_opt(span.map(|s| file.range(s))));
        for e in also {
            e.collect_into(file, out);
        }
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
}

/// Both results, or the errors of both.
pub(crate) fn both<A, B>(a: EvalResult<A>, b: EvalResult<B>) -> EvalResult<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(mut e), Err(f)) => {
            e.0.fatal |= f.fatal;
            e.0.also.push(f);
            Err(e)
        }
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
