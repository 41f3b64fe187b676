//! Argument extraction and small shared utilities.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::FuncError;
use crate::template::value::format_number;
use crate::template::Value;

pub type R = Result<Value, FuncError>;

pub fn arg_err(index: usize, message: impl Into<String>) -> FuncError {
    FuncError::Argument {
        index,
        message: message.into(),
    }
}

pub fn failed(message: impl Into<String>) -> FuncError {
    FuncError::Failed(message.into())
}

fn get(args: &[Value], i: usize) -> Result<&Value, FuncError> {
    args.get(i).ok_or_else(|| arg_err(i, "missing argument"))
}

/// A string argument; numbers and bools convert as in HCL.
pub fn str_arg(args: &[Value], i: usize) -> Result<Cow<'_, str>, FuncError> {
    match get(args, i)? {
        Value::String(s) => Ok(Cow::Borrowed(s)),
        Value::Number(n) => Ok(Cow::Owned(format_number(*n))),
        Value::Bool(b) => Ok(Cow::Owned(b.to_string())),
        Value::Null => Err(arg_err(i, "argument must not be null")),
        other => Err(arg_err(
            i,
            format!("string required, got {}", other.type_name()),
        )),
    }
}

/// A number argument; numeric strings convert as in HCL.
pub fn num_arg(args: &[Value], i: usize) -> Result<f64, FuncError> {
    match get(args, i)? {
        Value::Number(n) => Ok(*n),
        Value::String(s) => parse_number(s)
            .ok_or_else(|| arg_err(i, format!("a number is required, got string {s:?}"))),
        Value::Null => Err(arg_err(i, "argument must not be null")),
        other => Err(arg_err(
            i,
            format!("number required, got {}", other.type_name()),
        )),
    }
}

/// A whole-number argument.
pub fn int_arg(args: &[Value], i: usize) -> Result<i64, FuncError> {
    let n = num_arg(args, i)?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(arg_err(
            i,
            format!("value must be a whole number, got {}", format_number(n)),
        ));
    }
    if n.abs() > 9.0e15 {
        return Err(arg_err(i, "number is too large"));
    }
    Ok(n as i64)
}

pub fn list_arg(args: &[Value], i: usize) -> Result<&[Value], FuncError> {
    match get(args, i)? {
        Value::List(l) => Ok(l),
        Value::Null => Err(arg_err(i, "argument must not be null")),
        other => Err(arg_err(
            i,
            format!("list, set or tuple required, got {}", other.type_name()),
        )),
    }
}

pub fn map_arg(args: &[Value], i: usize) -> Result<&BTreeMap<String, Value>, FuncError> {
    match get(args, i)? {
        Value::Map(m) => Ok(m),
        Value::Null => Err(arg_err(i, "argument must not be null")),
        other => Err(arg_err(
            i,
            format!("map or object required, got {}", other.type_name()),
        )),
    }
}

/// Parse a number the way cty converts strings to numbers (decimal
/// notation with optional sign, fraction and exponent; no surrounding
/// spaces, no infinities or NaN).
pub fn parse_number(s: &str) -> Option<f64> {
    let valid = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// The grapheme clusters of `s` (cty counts "characters" this way).
pub fn graphemes(s: &str) -> Vec<&str> {
    unicode_segmentation::UnicodeSegmentation::graphemes(s, true).collect()
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
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

/// Total order used for sorting/deduplicating set elements.
pub fn value_key(v: &Value) -> String {
    v.to_json().to_string()
}

/// Remove duplicates, keeping the first occurrence.
pub fn dedup(items: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Deduplicate and order like a cty set (strings lexically, numbers
/// numerically, others by their JSON form).
pub fn to_set(items: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out = dedup(items);
    out.sort_by(|a, b| match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => value_key(a).cmp(&value_key(b)),
    });
    out
}
