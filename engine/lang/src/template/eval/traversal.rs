//! Attribute access, indexing and splats.

use std::ops::Range;

use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::{Decorated, Span};

use super::error::{suggest, EvalError, EvalResult};
use super::expr::Evaluator;
use crate::template::types::to_number;
use crate::template::Value;

/// Look up attribute `name` of `v`; `None` when unknown.
fn get_attr<'v>(
    v: &'v Value,
    name: &str,
    span: Option<Range<usize>>,
) -> EvalResult<Option<&'v Value>> {
    match v {
        Value::Unknown => Ok(None),
        Value::Null => Err(EvalError::new(
            "Attempt to get attribute from null value",
            "This value is null, so it does not have any attributes.",
            span,
        )),
        Value::Map(m) => match m.get(name) {
            Some(x) => Ok(Some(x)),
            None => {
                let detail = match suggest(name, m.keys().map(String::as_str)) {
                    Some(s) => format!(
                        "This object does not have an attribute named \"{name}\". Did you mean \"{s}\"?"
                    ),
                    None => format!("This object does not have an attribute named \"{name}\"."),
                };
                Err(EvalError::new("Unsupported attribute", detail, span))
            }
        },
        Value::List(items) if !items.is_empty() && items.iter().all(|i| i.as_map().is_some()) => {
            // A common mistake: an attribute of a whole list of objects.
            let detail = if items
                .iter()
                .any(|i| i.as_map().is_some_and(|m| m.contains_key(name)))
            {
                format!("Can't access attributes on a list of objects. Did you mean to access attribute \"{name}\" for a specific element of the list, or across all elements of the list?")
            } else {
                "Can't access attributes on a list of objects. Did you mean to access an attribute for a specific element of the list, or across all elements of the list?".to_string()
            };
            Err(EvalError::new("Unsupported attribute", detail, span))
        }
        Value::Bool(_) | Value::Number(_) | Value::String(_) => Err(EvalError::new(
            "Unsupported attribute",
            format!(
                "Can't access attributes on a primitive-typed value ({}).",
                v.type_name()
            ),
            span,
        )),
        _ => Err(EvalError::new(
            "Unsupported attribute",
            "This value does not have any attributes.",
            span,
        )),
    }
}

fn invalid_index(detail: &str, span: Option<Range<usize>>) -> EvalError {
    EvalError::new("Invalid index", detail, span)
}

const NO_ELEMENT: &str = "The given key does not identify an element in this collection value";

/// Index `v` with `key` (`v[key]`); `None` when unknown.
fn index<'v>(
    v: &'v Value,
    key: &Value,
    span: Option<Range<usize>>,
) -> EvalResult<Option<&'v Value>> {
    if matches!(v, Value::Unknown) || matches!(key, Value::Unknown) {
        return Ok(None);
    }
    match v {
        Value::Null => Err(EvalError::new(
            "Attempt to index null value",
            "This value is null, so it does not have any indices.",
            span,
        )),
        Value::List(items) => {
            if key.is_null() {
                return Err(invalid_index(
                    "Can't use a null value as an indexing key.",
                    span,
                ));
            }
            let n = to_number(key)
                .map_err(|e| invalid_index(&format!("{NO_ELEMENT}: {e}."), span.clone()))?;
            if n < 0.0 {
                return Err(invalid_index(
                    &format!(
                        "{NO_ELEMENT}: a negative number is not a valid index for a sequence."
                    ),
                    span,
                ));
            }
            if n.fract() != 0.0 {
                return Err(invalid_index(
                    &format!("{NO_ELEMENT}: indexing a sequence requires a whole number, but the given index has a fractional part."),
                    span,
                ));
            }
            items.get(n as usize).map(Some).ok_or_else(|| {
                invalid_index(
                    &format!(
                        "{NO_ELEMENT}: the given index is greater than or equal to the length of the collection."
                    ),
                    span,
                )
            })
        }
        Value::Map(m) => {
            if key.is_null() {
                return Err(invalid_index(
                    "Can't use a null value as an indexing key.",
                    span,
                ));
            }
            let k = key.to_display_string().ok_or_else(|| {
                invalid_index(&format!("{NO_ELEMENT}: string required."), span.clone())
            })?;
            m.get(&k)
                .map(Some)
                .ok_or_else(|| invalid_index(&format!("{NO_ELEMENT}."), span))
        }
        _ => Err(invalid_index("This value does not have any indices.", span)),
    }
}

fn owned(v: Option<&Value>) -> Value {
    v.cloned().unwrap_or(Value::Unknown)
}

/// The elements a splat iterates over: lists as they are, null as no
/// elements, any other value as a one-element list. `None` when unknown.
fn splat_items(v: Value) -> Option<Vec<Value>> {
    match v {
        Value::Unknown => None,
        Value::Null => Some(Vec::new()),
        Value::List(items) => Some(items),
        other => Some(vec![other]),
    }
}

impl<'s> Evaluator<'s> {
    pub(crate) fn eval_traversal(&mut self, t: &Traversal) -> EvalResult<Value> {
        if let Expression::Variable(var) = &t.expr {
            // Walk a scope root by reference: no copy of `var` per access.
            if let Some(root) = self.scope_root(var.value().as_str()) {
                return self.apply_ops_ref(root, &t.operators);
            }
        }
        let base = self.eval(&t.expr)?;
        self.apply_ops(base, &t.operators)
    }

    /// Apply operators to a borrowed value until a splat.
    fn apply_ops_ref(
        &mut self,
        mut v: &'s Value,
        ops: &[Decorated<TraversalOperator>],
    ) -> EvalResult<Value> {
        for (i, op) in ops.iter().enumerate() {
            let span = op.span();
            let next = match op.value() {
                TraversalOperator::GetAttr(name) => get_attr(v, name.value().as_str(), span)?,
                TraversalOperator::LegacyIndex(n) => {
                    index(v, &Value::Number(*n.value() as f64), span)?
                }
                TraversalOperator::Index(e) => {
                    let key = self.eval(e)?;
                    index(v, &key, span)?
                }
                TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => {
                    return self.apply_ops(v.clone(), &ops[i..])
                }
            };
            match next {
                Some(x) => v = x,
                None => return self.apply_ops(Value::Unknown, &ops[i + 1..]),
            }
        }
        Ok(v.clone())
    }

    /// Apply traversal operators in order; errors point at the operator.
    fn apply_ops(
        &mut self,
        mut v: Value,
        ops: &[Decorated<TraversalOperator>],
    ) -> EvalResult<Value> {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            let op_span = op.span();
            match op.value() {
                TraversalOperator::GetAttr(name) => {
                    v = owned(get_attr(&v, name.value().as_str(), op_span)?);
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = owned(index(&v, &Value::Number(*n.value() as f64), op_span)?);
                }
                TraversalOperator::Index(e) => {
                    let key = self.eval(e)?;
                    v = owned(index(&v, &key, op_span)?);
                }
                TraversalOperator::FullSplat(_) => {
                    // Every following operator applies to each element.
                    let Some(items) = splat_items(v) else {
                        return Ok(Value::Unknown);
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply_ops(item, rest)?);
                    }
                    return Ok(Value::List(out));
                }
                TraversalOperator::AttrSplat(_) => {
                    // Only the following attribute accesses apply to each element.
                    let run = ops[i + 1..]
                        .iter()
                        .take_while(|o| {
                            matches!(
                                o.value(),
                                TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                            )
                        })
                        .count();
                    let Some(items) = splat_items(v) else {
                        return Ok(Value::Unknown);
                    };
                    let attrs = &ops[i + 1..i + 1 + run];
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply_ops(item, attrs)?);
                    }
                    v = Value::List(out);
                    i += run;
                }
            }
            i += 1;
        }
        Ok(v)
    }
}
