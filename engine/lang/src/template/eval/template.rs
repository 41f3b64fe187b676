//! String templates and heredocs: literals, interpolations, `%{if}` and
//! `%{for}` directives, and `~` strip markers. (`<<-` heredoc literals are
//! taken from `heredoc_texts`, see `heredoc.rs`.)

use std::ops::Range;

use hcl_edit::template::{Directive, Element, ForDirective, IfDirective, Template};
use hcl_edit::Span;

use super::error::{EvalError, EvalResult};
use super::expr::Evaluator;
use super::for_expr::for_items;
use crate::template::types::to_bool;
use crate::template::Value;

/// Whether the element strips whitespace from the literal before it.
fn strips_before(el: &Element) -> bool {
    match el {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.if_expr.strip.strip_start(),
            Directive::For(d) => d.for_expr.strip.strip_start(),
        },
    }
}

/// Whether the element strips whitespace from the literal after it.
fn strips_after(el: &Element) -> bool {
    match el {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => d.endif_expr.strip.strip_end(),
            Directive::For(d) => d.endfor_expr.strip.strip_end(),
        },
    }
}

/// A rendered template: text, or unknown when any part is unknown.
struct Out {
    text: String,
    unknown: bool,
}

impl Evaluator<'_> {
    /// Evaluate a template. A template that is exactly one interpolation
    /// (`"${x}"`) yields the interpolated value unchanged.
    pub(crate) fn eval_template(
        &mut self,
        tpl: &Template,
        span: Option<Range<usize>>,
    ) -> EvalResult<Value> {
        if let Some(Element::Interpolation(i)) = tpl.as_single_element() {
            return self.eval(&i.expr);
        }
        self.enter(span)?;
        let mut out = Out {
            text: String::new(),
            unknown: false,
        };
        let r = self.render(tpl, false, false, &mut out);
        self.leave();
        r?;
        Ok(if out.unknown {
            Value::Unknown
        } else {
            Value::String(out.text)
        })
    }

    /// Render `tpl`; `strip_first`/`strip_last` say whether the enclosing
    /// directive's markers strip the first/last literal.
    fn render(
        &mut self,
        tpl: &Template,
        strip_first: bool,
        strip_last: bool,
        out: &mut Out,
    ) -> EvalResult<()> {
        let elems: Vec<&Element> = tpl.iter().collect();
        let mut errors = Vec::new();
        for (i, el) in elems.iter().enumerate() {
            let r = match el {
                Element::Literal(lit) => {
                    let mut text: &str =
                        match lit.span().and_then(|s| self.heredoc_texts.get(&s.start)) {
                            Some(t) => t,
                            None => lit.value(),
                        };
                    let strip_start = match i.checked_sub(1) {
                        None => strip_first,
                        Some(p) => strips_after(elems[p]),
                    };
                    let strip_end = match elems.get(i + 1) {
                        None => strip_last,
                        Some(n) => strips_before(n),
                    };
                    if strip_start {
                        text = text.trim_start();
                    }
                    if strip_end {
                        text = text.trim_end();
                    }
                    out.text.push_str(text);
                    Ok(())
                }
                Element::Interpolation(interp) => self
                    .eval(&interp.expr)
                    .and_then(|v| append_value(&v, interp.expr.span(), out)),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => self.render_if(d, out),
                    Directive::For(d) => self.render_for(d, out),
                },
            };
            match r {
                Ok(()) => {}
                Err(e) if e.fatal => return Err(e),
                Err(e) => errors.push(e),
            }
        }
        match EvalError::join(errors) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn render_if(&mut self, d: &IfDirective, out: &mut Out) -> EvalResult<()> {
        let cond_expr = &d.if_expr.cond_expr;
        let span = cond_expr.span();
        let cond = match self.eval(cond_expr)? {
            Value::Unknown => {
                out.unknown = true;
                return Ok(());
            }
            Value::Null => {
                return Err(EvalError::new(
                    "Null condition",
                    "The condition value is null. Conditions must either be true or false.",
                    span,
                ))
            }
            other => to_bool(&other).map_err(|_| {
                EvalError::new(
                    "Incorrect condition type",
                    "The condition expression must be of type bool.",
                    span.clone(),
                )
            })?,
        };
        let endif_strip = d.endif_expr.strip.strip_start();
        match (&d.else_expr, cond) {
            (Some(e), true) => self.render(
                &d.if_expr.template,
                d.if_expr.strip.strip_end(),
                e.strip.strip_start(),
                out,
            ),
            (None, true) => self.render(
                &d.if_expr.template,
                d.if_expr.strip.strip_end(),
                endif_strip,
                out,
            ),
            (Some(e), false) => self.render(&e.template, e.strip.strip_end(), endif_strip, out),
            (None, false) => Ok(()),
        }
    }

    fn render_for(&mut self, d: &ForDirective, out: &mut Out) -> EvalResult<()> {
        let f = &d.for_expr;
        let coll = self.eval(&f.collection_expr)?;
        let Some(items) = for_items(&coll, f.collection_expr.span(), "'for' expression")? else {
            out.unknown = true;
            return Ok(());
        };
        let (first, last) = (f.strip.strip_end(), d.endfor_expr.strip.strip_start());
        let key_var = f.key_var.as_ref().map(|k| k.value().as_str());
        let value_var = f.value_var.value().as_str();
        for (k, v) in items {
            if let Some(kv) = key_var {
                self.push_local(kv, k);
            }
            self.push_local(value_var, v);
            let r = self.render(&f.template, first, last, out);
            self.pop_local();
            if key_var.is_some() {
                self.pop_local();
            }
            r?;
        }
        Ok(())
    }
}

/// Append an interpolated value to the output.
fn append_value(v: &Value, span: Option<Range<usize>>, out: &mut Out) -> EvalResult<()> {
    match v {
        Value::Unknown => {
            out.unknown = true;
            Ok(())
        }
        Value::Null => Err(EvalError::new(
            "Invalid template interpolation value",
            "The expression result is null. Cannot include a null value in a string template.",
            span,
        )),
        other => match other.to_display_string() {
            Some(s) => {
                out.text.push_str(&s);
                Ok(())
            }
            None => Err(EvalError::new(
                "Invalid template interpolation value",
                "Cannot include the given value in a string template: string required.",
                span,
            )),
        },
    }
}
