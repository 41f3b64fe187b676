//! The HCL2 expression evaluator.
//!
//! [`eval_expr`] evaluates an `hcl_edit` expression against a [`Scope`] of
//! root variables (`var`, `local`, `path`, …) and the function library,
//! following the HCL native syntax specification: operators, conditionals,
//! traversals and splats, collection constructors, `for` expressions and
//! string templates (with `%{if}`/`%{for}` directives and strip markers).
//!
//! Values that are only known at build time are [`Value::Unknown`]: every
//! operation with an unknown operand yields `Unknown` instead of failing.
//!
//! Errors are [`Diagnostic`](crate::diag::Diagnostic)s carrying HCL's
//! wording and the exact range of the offending sub-expression; every error
//! of an expression is reported (not only the first). [`references`] lists
//! the variables an expression refers to (for ordering `locals` and checking
//! declarations). Type constraints live in [`crate::template::types`].

mod call;
mod error;
mod expr;
mod for_expr;
mod heredoc;
mod ops;
mod refs;
mod scope;
mod template;
mod traversal;

#[cfg(test)]
mod tests;

use hcl_edit::expr::Expression;

use crate::diag::{Diagnostics, SourceFile};
use crate::template::Value;

pub use refs::{references, Reference};
pub use scope::Scope;

use expr::Evaluator;

/// The deepest expression nesting the evaluator accepts before reporting
/// an error (guards the stack against pathological input).
pub const MAX_DEPTH: usize = 256;

/// Evaluate an expression. Every error carries the range of the offending
/// sub-expression in `file`.
pub fn eval_expr(
    expr: &Expression,
    scope: &Scope,
    file: &SourceFile,
) -> Result<Value, Diagnostics> {
    let mut ev = Evaluator::new(scope, file, false);
    ev.eval(expr)
        .map_err(|e| Diagnostics(e.into_diagnostics(file)))
}

/// Parse `src` as an HCL template (the text of a `templatefile` file) and
/// render it with the variables of `scope`. Errors are returned as
/// `LINE,COL-COL: Summary; Detail` text (one line per error).
pub fn eval_template_str(src: &str, scope: &Scope) -> Result<Value, String> {
    let file = SourceFile::new("<template>", src);
    let tpl = hcl_edit::parser::parse_template(src).map_err(|e| {
        let msg = e.message().to_string();
        let loc = e.location();
        format!("{},{}: Invalid template; {}", loc.line(), loc.column(), msg)
    })?;
    let mut ev = Evaluator::new(scope, &file, true);
    ev.eval_template(&tpl, None).map_err(|e| {
        let lines: Vec<String> = e
            .into_diagnostics(&file)
            .iter()
            .map(error::diagnostic_to_string)
            .collect();
        lines.join("\n")
    })
}

/// Evaluate a dynamic block's `for_each` expression into the `(key, value)`
/// pairs to iterate over: list elements are keyed by their index, map
/// entries by their key. `Ok(None)` when the collection is unknown.
pub fn eval_for_each(
    expr: &Expression,
    scope: &Scope,
    file: &SourceFile,
) -> Result<Option<Vec<(Value, Value)>>, Diagnostics> {
    let value = eval_expr(expr, scope, file)?;
    for_expr::for_each_items(&value).map_err(|e| {
        Diagnostics(
            e.with_fallback_span(hcl_edit::Span::span(expr))
                .into_diagnostics(file),
        )
    })
}

/// Evaluate an expression that may use functions but no variables (e.g. an
/// `optional()` default in a type constraint). Errors are `Summary: Detail`.
pub(crate) fn eval_constant(expr: &Expression) -> Result<Value, String> {
    let scope = Scope::new(std::path::PathBuf::from("."));
    let file = SourceFile::new("<constant>", "");
    let mut ev = Evaluator::new(&scope, &file, false);
    ev.eval(expr)
        .map_err(|e| format!("{}: {}", e.summary, e.detail))
}
