//! Collecting the variable references of an expression.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;

/// A variable reference: its root name, the static attribute names that
/// follow it, and the byte span of `root.attr.attr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The root variable (`var`, `local`, `data`, …).
    pub root: String,
    /// The `.attr` names after the root, up to the first index or splat.
    pub path: Vec<String>,
    /// Byte span of the reference in the source.
    pub span: Range<usize>,
}

/// Every variable reference in an expression, in source order, e.g.
/// `("var", ["region"], span)` for `var.region`. Names bound by `for`
/// expressions and directives are not references.
pub fn references(expr: &Expression) -> Vec<Reference> {
    let mut c = Collector {
        bound: Vec::new(),
        out: Vec::new(),
        depth: 0,
    };
    c.expr(expr);
    c.out
}

struct Collector {
    /// Iteration variables in scope.
    bound: Vec<String>,
    out: Vec<Reference>,
    depth: usize,
}

impl Collector {
    fn reference(&mut self, name: &str, path: Vec<String>, span: Option<Range<usize>>) {
        if self.bound.iter().any(|b| b == name) {
            return;
        }
        self.out.push(Reference {
            root: name.to_string(),
            path,
            span: span.unwrap_or(0..0),
        });
    }

    fn expr(&mut self, expr: &Expression) {
        if self.depth >= super::MAX_DEPTH {
            return;
        }
        self.depth += 1;
        self.expr_inner(expr);
        self.depth -= 1;
    }

    fn expr_inner(&mut self, expr: &Expression) {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(items) => items.iter().for_each(|e| self.expr(e)),
            Expression::Object(obj) => {
                for (k, v) in obj.iter() {
                    match k {
                        // A bare name key is literal, not a reference.
                        ObjectKey::Expression(Expression::Variable(_)) | ObjectKey::Ident(_) => {}
                        ObjectKey::Expression(e) => self.expr(e),
                    }
                    self.expr(v.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.reference(v.value().as_str(), Vec::new(), v.span()),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => {
                let name = call.name.name.value().as_str();
                for (i, arg) in call.args.iter().enumerate() {
                    // convert()'s second argument is a type, not an expression.
                    if !(name == "convert" && i == 1) {
                        self.expr(arg);
                    }
                }
            }
            Expression::Traversal(t) => {
                let mut rest = &t.operators[..];
                if let Expression::Variable(v) = &t.expr {
                    let mut path = Vec::new();
                    let mut end = v.span().map(|s| s.end);
                    for op in &t.operators {
                        match op.value() {
                            TraversalOperator::GetAttr(name) => {
                                path.push(name.value().as_str().to_string());
                                end = op.span().map(|s| s.end).or(end);
                            }
                            _ => break,
                        }
                    }
                    rest = &t.operators[path.len()..];
                    let span = v.span().and_then(|s| end.map(|e| s.start..e));
                    self.reference(v.value().as_str(), path, span);
                } else {
                    self.expr(&t.expr);
                }
                for op in rest {
                    if let TraversalOperator::Index(e) = op.value() {
                        self.expr(e);
                    }
                }
            }
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let n = self.bind(
                    f.intro.key_var.as_ref().map(|k| k.value().as_str()),
                    f.intro.value_var.value().as_str(),
                );
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(self.bound.len() - n);
            }
        }
    }

    /// Bind iteration variables; returns how many were bound.
    fn bind(&mut self, key: Option<&str>, value: &str) -> usize {
        if let Some(k) = key {
            self.bound.push(k.to_string());
        }
        self.bound.push(value.to_string());
        1 + usize::from(key.is_some())
    }

    fn template(&mut self, t: &Template) {
        for el in t.iter() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr);
                        let n = self.bind(
                            f.key_var.as_ref().map(|k| k.value().as_str()),
                            f.value_var.value().as_str(),
                        );
                        self.template(&f.template);
                        self.bound.truncate(self.bound.len() - n);
                    }
                },
            }
        }
    }
}
