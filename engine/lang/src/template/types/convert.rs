//! Converting values to type constraints with cty's rules.

use std::collections::BTreeMap;
use std::fmt;

use super::Type;
use crate::template::Value;

/// A value that does not conform to a type constraint. `path` leads to the
/// offending part (`attribute "a"`, `element 0`), `message` says what is
/// wrong (`string required`, `attribute "b" is required`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct TypeError {
    /// Steps from the value's root to the offending part; empty for the root.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TypeError {
    /// `attribute "a": element 0: string required`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.path {
            write!(f, "{step}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl TypeError {
    fn new(message: impl Into<String>) -> Self {
        TypeError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    fn at(mut self, step: String) -> Self {
        self.path.insert(0, step);
        self
    }
}

/// A primitive as a number: numbers as they are, strings parsed.
pub(crate) fn to_number(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => Ok(*n),
        Value::String(s) => parse_number(s).ok_or_else(|| "a number is required".to_string()),
        _ => Err("number required".to_string()),
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let ok_chars = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !ok_chars {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A primitive as a bool: bools as they are, strings `"true"`/`"1"` and
/// `"false"`/`"0"` converted.
pub(crate) fn to_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            other => match other.to_ascii_lowercase().as_str() {
                "true" => {
                    Err("a bool is required; to convert from string, use lowercase \"true\"".into())
                }
                "false" => Err(
                    "a bool is required; to convert from string, use lowercase \"false\"".into(),
                ),
                _ => Err("a bool is required".into()),
            },
        },
        _ => Err("bool required".to_string()),
    }
}

/// Convert `v` to type `ty` (cty's `convert.Convert`): primitives convert
/// between string, number and bool where the value allows it; tuples become
/// lists or sets (sets drop duplicates and are ordered); objects become maps
/// or objects (missing optional attributes get their default or null,
/// missing required ones are errors, extra ones are dropped). Null and
/// unknown values conform to every type.
pub fn convert(v: &Value, ty: &Type) -> Result<Value, TypeError> {
    if matches!(v, Value::Null | Value::Unknown) {
        return Ok(v.clone());
    }
    match ty {
        Type::Any => Ok(v.clone()),
        Type::String => match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                Ok(Value::String(v.to_display_string().unwrap_or_default()))
            }
            _ => Err(TypeError::new("string required")),
        },
        Type::Number => to_number(v).map(Value::Number).map_err(TypeError::new),
        Type::Bool => to_bool(v).map(Value::Bool).map_err(TypeError::new),
        Type::List(elem) => match v {
            Value::List(items) => convert_elements(items, elem).map(Value::List),
            _ => Err(TypeError::new(format!("{} required", ty.friendly_name()))),
        },
        Type::Set(elem) => match v {
            Value::List(items) => {
                convert_elements(items, elem).map(|items| Value::List(make_set(items)))
            }
            _ => Err(TypeError::new(format!("{} required", ty.friendly_name()))),
        },
        Type::Map(elem) => match v {
            Value::Map(m) => {
                let mut out = BTreeMap::new();
                for (k, x) in m {
                    let c = convert(x, elem).map_err(|e| e.at(format!("element {}", quote(k))))?;
                    out.insert(k.clone(), c);
                }
                if **elem == Type::Any {
                    unify_primitives(out.values_mut())?;
                }
                Ok(Value::Map(out))
            }
            _ => Err(TypeError::new(format!("{} required", ty.friendly_name()))),
        },
        Type::Tuple(types) => match v {
            Value::List(items) if items.len() == types.len() => {
                let mut out = Vec::with_capacity(items.len());
                for (i, (x, t)) in items.iter().zip(types).enumerate() {
                    out.push(convert(x, t).map_err(|e| e.at(format!("element {i}")))?);
                }
                Ok(Value::List(out))
            }
            Value::List(_) => Err(TypeError::new(format!(
                "tuple required with exactly {} elements",
                types.len()
            ))),
            _ => Err(TypeError::new("tuple required")),
        },
        Type::Object(attrs) => match v {
            Value::Map(m) => {
                let mut out = BTreeMap::new();
                for (name, attr) in attrs {
                    let given = m.get(name).filter(|x| !x.is_null());
                    let value = match (given, attr.optional) {
                        (Some(x), _) => convert(x, &attr.ty)
                            .map_err(|e| e.at(format!("attribute {}", quote(name))))?,
                        (None, true) => attr.default.clone().unwrap_or(Value::Null),
                        (None, false) if m.contains_key(name) => Value::Null,
                        (None, false) => {
                            return Err(TypeError::new(format!(
                                "attribute {} is required",
                                quote(name)
                            )));
                        }
                    };
                    out.insert(name.clone(), value);
                }
                Ok(Value::Map(out))
            }
            _ => Err(TypeError::new("object required")),
        },
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn convert_elements(items: &[Value], elem: &Type) -> Result<Vec<Value>, TypeError> {
    let mut out = items
        .iter()
        .enumerate()
        .map(|(i, x)| convert(x, elem).map_err(|e| e.at(format!("element {i}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if *elem == Type::Any {
        unify_primitives(out.iter_mut())?;
    }
    Ok(out)
}

/// The elements of a collection of `any` share one type: primitives of
/// different types become strings (as cty unifies them); primitives mixed
/// with collections, or lists mixed with maps, have no common type.
fn unify_primitives<'a>(items: impl Iterator<Item = &'a mut Value>) -> Result<(), TypeError> {
    let items: Vec<&mut Value> = items.collect();
    let kind = |v: &Value| match v {
        Value::Bool(_) => Some(0),
        Value::Number(_) => Some(1),
        Value::String(_) => Some(2),
        Value::List(_) => Some(3),
        Value::Map(_) => Some(4),
        Value::Null | Value::Unknown => None,
    };
    let kinds: Vec<u8> = items.iter().filter_map(|v| kind(v)).collect();
    let Some(first) = kinds.first().copied() else {
        return Ok(());
    };
    if kinds.iter().all(|k| *k == first) {
        return Ok(());
    }
    if kinds.iter().any(|k| *k >= 3) {
        return Err(TypeError::new(
            "all elements must have the same type (no common type for these values)",
        ));
    }
    for v in items {
        if let Some(s) = v.to_display_string() {
            *v = Value::String(s);
        }
    }
    Ok(())
}

/// Drop duplicates and order the elements as cty orders set members
/// (numbers ascending, strings lexically, false before true; other values
/// keep their order after those).
fn make_set(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        if item.is_unknown() || !out.contains(&item) {
            out.push(item);
        }
    }
    out.sort_by_key(rank);
    out
}

/// Sort key for set members; incomparable values share a rank so the
/// stable sort keeps their order.
fn rank(v: &Value) -> (u8, String, i8) {
    match v {
        Value::Bool(b) => (0, String::new(), i8::from(*b)),
        Value::Number(n) => (1, sortable_number(*n), 0),
        Value::String(s) => (2, s.clone(), 0),
        _ => (3, String::new(), 0),
    }
}

/// A string that sorts like the number (for finite values).
fn sortable_number(n: f64) -> String {
    let bits = n.to_bits();
    let key = if n.is_sign_negative() {
        !bits
    } else {
        bits | (1 << 63)
    };
    format!("{key:020}")
}
