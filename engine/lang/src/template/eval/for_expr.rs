//! `for` expressions and dynamic-block `for_each` collections.

use std::collections::BTreeMap;

use hcl_edit::expr::ForExpr;
use hcl_edit::Span;

use super::error::{EvalError, EvalResult};
use super::expr::Evaluator;
use crate::template::types::to_bool;
use crate::template::Value;

/// The `(key, value)` pairs of a collection: list elements keyed by index,
/// map entries by key. `Ok(None)` when the collection is unknown. Errors
/// have no span (the caller adds the collection expression's).
pub(crate) fn iterate(coll: &Value) -> Result<Option<Vec<(Value, Value)>>, String> {
    match coll {
        Value::Unknown => Ok(None),
        Value::List(items) => Ok(Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v.clone()))
                .collect(),
        )),
        Value::Map(m) => Ok(Some(
            m.iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
        )),
        other => Err(other.type_name().to_string()),
    }
}

/// A dynamic block's `for_each` value as `(key, value)` pairs.
pub(crate) fn for_each_items(coll: &Value) -> EvalResult<Option<Vec<(Value, Value)>>> {
    if coll.is_null() {
        return Err(EvalError::new(
            "Invalid dynamic for_each value",
            "Cannot use a null value in for_each.",
            None,
        ));
    }
    iterate(coll).map_err(|ty| {
        EvalError::new(
            "Invalid dynamic for_each value",
            format!("Cannot use a {ty} value in for_each. An iterable collection is required."),
            None,
        )
    })
}

/// The items of a `for` expression's or directive's collection.
pub(crate) fn for_items(
    coll: &Value,
    span: Option<std::ops::Range<usize>>,
    what: &str,
) -> EvalResult<Option<Vec<(Value, Value)>>> {
    if coll.is_null() {
        return Err(EvalError::new(
            "Iteration over null value",
            format!("A null value cannot be used as the collection in a {what}."),
            span,
        ));
    }
    iterate(coll).map_err(|ty| {
        EvalError::new(
            "Iteration over non-iterable value",
            format!("A value of type {ty} cannot be used as the collection in a {what}."),
            span,
        )
    })
}

impl Evaluator<'_> {
    pub(crate) fn eval_for(&mut self, f: &ForExpr) -> EvalResult<Value> {
        let intro = &f.intro;
        let coll = self.eval(&intro.collection_expr)?;
        let items = for_items(&coll, intro.collection_expr.span(), "'for' expression")?;
        let key_var = intro
            .key_var
            .as_ref()
            .map(|k| k.value().as_str().to_string());
        let value_var = intro.value_var.value().as_str().to_string();
        self.check_for_condition(f, key_var.as_deref(), &value_var)?;
        let Some(items) = items else {
            return Ok(Value::Unknown);
        };

        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in items {
            let bound = usize::from(key_var.is_some()) + 1;
            if let Some(kv) = &key_var {
                self.push_local(kv, k);
            }
            self.push_local(&value_var, v);
            let r = self.for_item(f, &mut list, &mut map);
            for _ in 0..bound {
                self.pop_local();
            }
            if !r? {
                unknown = true;
            }
        }
        if unknown {
            return Ok(Value::Unknown);
        }
        Ok(if f.key_expr.is_some() {
            Value::Map(map)
        } else {
            Value::List(list)
        })
    }

    /// HCL's early check of the `if` clause with unknown iteration
    /// variables: a clause that is wrong whatever the element is reported
    /// once instead of once per element.
    fn check_for_condition(
        &mut self,
        f: &ForExpr,
        key_var: Option<&str>,
        value_var: &str,
    ) -> EvalResult<()> {
        let Some(cond) = &f.cond else {
            return Ok(());
        };
        if let Some(k) = key_var {
            self.push_local(k, Value::Unknown);
        }
        self.push_local(value_var, Value::Unknown);
        let r = self.eval(&cond.expr);
        self.pop_local();
        if key_var.is_some() {
            self.pop_local();
        }
        let span = cond.expr.span();
        match r? {
            Value::Null => Err(EvalError::new(
                "Condition is null",
                "The value of the 'if' clause must not be null.",
                span,
            )),
            Value::Unknown => Ok(()),
            other => to_bool(&other).map(|_| ()).map_err(|e| {
                EvalError::new(
                    "Invalid 'for' condition",
                    format!("The 'if' clause value is invalid: {e}."),
                    span,
                )
            }),
        }
    }

    /// One iteration; `Ok(false)` when the result became unknown.
    fn for_item(
        &mut self,
        f: &ForExpr,
        list: &mut Vec<Value>,
        map: &mut BTreeMap<String, Value>,
    ) -> EvalResult<bool> {
        if let Some(cond) = &f.cond {
            let c = self.eval(&cond.expr)?;
            let span = cond.expr.span();
            match c {
                Value::Unknown => return Ok(false),
                Value::Null => {
                    return Err(EvalError::new(
                        "Invalid 'for' condition",
                        "The value of the 'if' clause must not be null.",
                        span,
                    ))
                }
                other => match to_bool(&other) {
                    Ok(true) => {}
                    Ok(false) => return Ok(true),
                    Err(e) => {
                        return Err(EvalError::new(
                            "Invalid 'for' condition",
                            format!("The 'if' clause value is invalid: {e}."),
                            span,
                        ))
                    }
                },
            }
        }
        let Some(key_expr) = &f.key_expr else {
            list.push(self.eval(&f.value_expr)?);
            return Ok(true);
        };
        let key = self.eval(key_expr)?;
        let span = key_expr.span();
        let key = match key {
            Value::Unknown => return Ok(false),
            Value::Null => {
                return Err(EvalError::new(
                    "Invalid object key",
                    "Key expression in 'for' expression must not produce a null value.",
                    span,
                ))
            }
            other => other.to_display_string().ok_or_else(|| {
                EvalError::new(
                    "Invalid object key",
                    "The key expression produced an invalid result: string required.",
                    span.clone(),
                )
            })?,
        };
        let value = self.eval(&f.value_expr)?;
        if f.grouping {
            match map.entry(key).or_insert_with(|| Value::List(Vec::new())) {
                Value::List(group) => group.push(value),
                _ => return Ok(false),
            }
        } else {
            match map.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => {
                    return Err(EvalError::new(
                        "Duplicate object key",
                        format!(
                            "Two different items produced the key \"{}\" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
                            e.key()
                        ),
                        span,
                    ));
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(value);
                }
            }
        }
        Ok(true)
    }
}
