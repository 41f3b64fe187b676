//! The evaluator's core: literals, variables, collection constructors and
//! dispatch to the operator, traversal, call, `for` and template modules.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use hcl_edit::expr::{Expression, Object, ObjectKey, Traversal, TraversalOperator};
use hcl_edit::Span;

use super::error::{both, suggest, EvalError, EvalResult};
use super::scope::Scope;
use super::MAX_DEPTH;
use crate::diag::SourceFile;
use crate::template::Value;

/// Evaluation state: the scope, the variables bound by enclosing `for`
/// expressions and directives, and the current nesting depth.
pub(crate) struct Evaluator<'s> {
    pub scope: &'s Scope,
    /// The file spans point into (for positions inside messages).
    pub file: &'s SourceFile,
    /// Iteration variables, innermost last (they shadow scope roots).
    locals: Vec<(String, Value)>,
    depth: usize,
    /// True while rendering a `templatefile` template (which may not call
    /// `templatefile` again).
    pub in_templatefile: bool,
    /// Dedented literal texts of `<<-` heredocs, by literal span start.
    pub heredoc_texts: HashMap<usize, String>,
}

impl<'s> Evaluator<'s> {
    pub fn new(scope: &'s Scope, file: &'s SourceFile, in_templatefile: bool) -> Self {
        Evaluator {
            scope,
            file,
            locals: Vec::new(),
            depth: 0,
            in_templatefile,
            heredoc_texts: HashMap::new(),
        }
    }

    /// Enter one nesting level; errors past [`MAX_DEPTH`].
    pub fn enter(&mut self, span: Option<Range<usize>>) -> EvalResult<()> {
        if self.depth >= MAX_DEPTH {
            return Err(EvalError::new(
                "Expression too deeply nested",
                format!("Expressions may be nested at most {MAX_DEPTH} levels deep."),
                span,
            )
            .fatal());
        }
        self.depth += 1;
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Evaluate an expression.
    pub fn eval(&mut self, expr: &Expression) -> EvalResult<Value> {
        self.enter(expr.span())?;
        let result = self.eval_inner(expr);
        self.leave();
        result.map_err(|e| e.with_fallback_span(expr.span()))
    }

    fn eval_inner(&mut self, expr: &Expression) -> EvalResult<Value> {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(n.value().as_f64().unwrap_or(f64::NAN))),
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(items) => self.eval_all(items.iter()).map(Value::List),
            Expression::Object(obj) => self.eval_object(obj),
            Expression::StringTemplate(t) => self.eval_template(t, t.span()),
            Expression::HeredocTemplate(h) => {
                let source = self.file.text();
                let flush = match h.span().and_then(|s| source.get(s.start..)) {
                    Some(rest) if rest.starts_with("<<") => rest.starts_with("<<-"),
                    _ => h.indent().is_some(),
                };
                if flush {
                    if let Some(texts) = super::heredoc::dedent(&h.template, source) {
                        self.heredoc_texts.extend(texts);
                    }
                }
                self.eval_template(&h.template, h.span())
            }
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => self.lookup(v.value().as_str(), v.span()),
            Expression::Conditional(c) => self.eval_conditional(c),
            Expression::FuncCall(call) => self.eval_call(call),
            Expression::Traversal(t) => self.eval_traversal(t),
            Expression::UnaryOp(op) => self.eval_unary(op),
            Expression::BinaryOp(op) => self.eval_binary(op),
            Expression::ForExpr(f) => self.eval_for(f),
        }
    }

    /// Evaluate every expression, reporting the errors of all of them (the
    /// nesting limit stops at once).
    pub fn eval_all<'e>(
        &mut self,
        exprs: impl IntoIterator<Item = &'e Expression>,
    ) -> EvalResult<Vec<Value>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for e in exprs {
            match self.eval(e) {
                Ok(v) => out.push(v),
                Err(err) if err.fatal => return Err(err),
                Err(err) => errors.push(err),
            }
        }
        match EvalError::join(errors) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Bind an iteration variable (until the matching [`Self::pop_local`]).
    pub fn push_local(&mut self, name: &str, value: Value) {
        self.locals.push((name.to_string(), value));
    }

    pub fn pop_local(&mut self) {
        self.locals.pop();
    }

    /// A scope root not shadowed by an iteration variable, borrowed.
    pub fn scope_root(&self, name: &str) -> Option<&'s Value> {
        if self.locals.iter().any(|(n, _)| n == name) {
            return None;
        }
        let scope: &'s Scope = self.scope;
        scope.get(name)
    }

    /// The value of a root variable.
    pub fn lookup(&self, name: &str, span: Option<Range<usize>>) -> EvalResult<Value> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        if let Some(v) = self.scope.get(name) {
            return Ok(v.clone());
        }
        let candidates = self
            .locals
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.scope.names());
        let detail = match suggest(name, candidates) {
            Some(s) => format!("There is no variable named \"{name}\". Did you mean \"{s}\"?"),
            None => format!("There is no variable named \"{name}\"."),
        };
        Err(EvalError::new("Unknown variable", detail, span))
    }

    fn eval_object(&mut self, obj: &Object) -> EvalResult<Value> {
        let mut out = BTreeMap::new();
        let mut unknown = false;
        let mut errors = Vec::new();
        for (key, value) in obj.iter() {
            let k = match key {
                ObjectKey::Ident(id) => Ok(Some(id.value().as_str().to_string())),
                ObjectKey::Expression(e) => self.object_key(e, value.expr().span()),
            };
            let v = self.eval(value.expr());
            match both(k, v) {
                Ok((Some(k), v)) => {
                    out.insert(k, v);
                }
                Ok((None, _)) => unknown = true,
                Err(e) if e.fatal => return Err(e),
                Err(e) => errors.push(e),
            }
        }
        if let Some(e) = EvalError::join(errors) {
            return Err(e);
        }
        Ok(if unknown {
            Value::Unknown
        } else {
            Value::Map(out)
        })
    }

    /// An object constructor key given as an expression: a bare name (or
    /// `null`, `true`, `false`) is taken literally, anything else is
    /// evaluated and must be a string. `None` when the key is unknown.
    /// `value_span` locates "null key" errors (as HCL does).
    fn object_key(
        &mut self,
        e: &Expression,
        value_span: Option<Range<usize>>,
    ) -> EvalResult<Option<String>> {
        match e {
            Expression::Variable(v) => return Ok(Some(v.value().as_str().to_string())),
            Expression::Null(_) => return Ok(Some("null".to_string())),
            Expression::Bool(b) => return Ok(Some(b.value().to_string())),
            Expression::Traversal(t) if is_static_traversal(t) => {
                return Err(EvalError::new(
                    "Ambiguous attribute key",
                    "If this expression is intended to be a reference, wrap it in parentheses. If it's instead intended as a literal name containing periods, wrap it in quotes to create a string literal.",
                    e.span(),
                ))
            }
            _ => {}
        }
        let key = self.eval(e)?;
        match key {
            Value::Unknown => Ok(None),
            Value::Null => Err(EvalError::new(
                "Null value as key",
                "Can't use a null value as a key.",
                value_span,
            )),
            other => match other.to_display_string() {
                Some(s) => Ok(Some(s)),
                None => Err(EvalError::new(
                    "Incorrect key type",
                    "Can't use this value as a key: string required.",
                    e.span(),
                )),
            },
        }
    }
}

/// `a.b`, `a[0]`, `a["k"]`: a variable followed by static steps only.
fn is_static_traversal(t: &Traversal) -> bool {
    matches!(t.expr, Expression::Variable(_))
        && t.operators.iter().all(|op| match op.value() {
            TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_) => true,
            TraversalOperator::Index(e) => {
                matches!(e, Expression::Number(_) | Expression::String(_))
            }
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => false,
        })
}
