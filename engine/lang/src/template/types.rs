//! HCL type constraints (`string`, `list(string)`,
//! `object({a=string, b=optional(number, 5)})`, …): parsing them from an
//! expression or a string, printing them as cty does, and converting values
//! to them with cty's conversion rules ([`convert`]).

mod convert;
mod parse;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::template::Value;

pub use convert::{convert, TypeError};
pub(crate) use convert::{to_bool, to_number};
pub use parse::parse_type_str;

/// A type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `string`
    String,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `any`: every value is accepted as it is.
    Any,
    /// `list(T)`
    List(Box<Type>),
    /// `map(T)`
    Map(Box<Type>),
    /// `set(T)`: a list without duplicates.
    Set(Box<Type>),
    /// `object({name = T, …})`, attributes by name.
    Object(BTreeMap<String, ObjectAttr>),
    /// `tuple([T, …])`
    Tuple(Vec<Type>),
}

/// One attribute of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    /// The attribute's type.
    pub ty: Type,
    /// Declared with `optional(…)`: may be omitted (or null).
    pub optional: bool,
    /// The `optional(T, default)` default, already converted to `ty`.
    pub default: Option<Value>,
}

/// An invalid type expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct TypeSpecError {
    /// What is wrong, e.g. `The keyword "strin" is not a valid type specification.`
    pub message: String,
    /// The offending part of the type expression, when parsed from source.
    pub span: Option<Range<usize>>,
}

impl Type {
    /// Parse a type expression (e.g. a `variable` block's `type`).
    pub fn from_expr(expr: &hcl_edit::expr::Expression) -> Result<Type, TypeSpecError> {
        parse::type_from_expr(expr, false).map(|(t, _)| t)
    }

    /// True when the type contains `any`.
    pub fn has_any(&self) -> bool {
        match self {
            Type::Any => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Map(t) | Type::Set(t) => t.has_any(),
            Type::Object(attrs) => attrs.values().any(|a| a.ty.has_any()),
            Type::Tuple(ts) => ts.iter().any(Type::has_any),
        }
    }

    /// True when an `optional(T, default)` attribute has a default.
    pub fn has_defaults(&self) -> bool {
        match self {
            Type::Any | Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Map(t) | Type::Set(t) => t.has_defaults(),
            Type::Object(attrs) => attrs
                .values()
                .any(|a| a.default.is_some() || a.ty.has_defaults()),
            Type::Tuple(ts) => ts.iter().any(Type::has_defaults),
        }
    }

    /// cty's "friendly name" (`list of string`), used in mismatch messages.
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Any => "any single type".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Object(_) => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }
}

/// An attribute name as written in a type: bare when it is an identifier,
/// quoted otherwise.
fn attr_name(name: &str) -> String {
    let mut chars = name.chars();
    let ident = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ident {
        name.to_string()
    } else {
        serde_json::Value::String(name.to_string()).to_string()
    }
}

impl fmt::Display for Type {
    /// The type as HCL writes it: `list(string)`,
    /// `object({a=string,b=optional(number, 5)})`, `tuple([string,number])`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Any => f.write_str("any"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (name, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    let name = attr_name(name);
                    match (a.optional, &a.default) {
                        (false, _) => write!(f, "{name}={}", a.ty)?,
                        (true, None) => write!(f, "{name}=optional({})", a.ty)?,
                        (true, Some(d)) => write!(f, "{name}=optional({}, {d})", a.ty)?,
                    }
                }
                f.write_str("})")
            }
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests;
