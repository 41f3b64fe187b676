//! Field types and checking values against them, following cty's
//! conversion rules (a number is acceptable where a string is expected, a
//! string where a number is expected when it parses, …).

use crate::template::Value;

/// The type of one configuration field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// `cty.String`.
    String,
    /// `cty.Number`.
    Number,
    /// `cty.Bool`.
    Bool,
    /// A string holding a Go `time.Duration` (`"5m"`, `"1h30m"`).
    Duration,
    /// A string restricted to a fixed set of values.
    Enum(&'static [&'static str]),
    /// `cty.List(T)` (also used for sets).
    List(&'static FieldType),
    /// `cty.Map(T)`.
    Map(&'static FieldType),
    /// `cty.DynamicPseudoType`: anything.
    Any,
    /// A nested block (`hcldec.BlockSpec` when `max == Some(1)`,
    /// `hcldec.BlockListSpec` otherwise). In legacy JSON templates it
    /// arrives as an attribute holding an object or a list of objects.
    Block {
        /// The arguments the block accepts.
        fields: &'static [Field],
        /// Fewest blocks required.
        min: usize,
        /// Most blocks allowed; `None` = unbounded.
        max: Option<usize>,
    },
}

impl FieldType {
    /// Whether this is a nested block rather than an attribute.
    pub fn is_block(&self) -> bool {
        matches!(self, FieldType::Block { .. })
    }

    /// The cty-style name used in "… required" messages.
    pub fn describe(&self) -> String {
        match self {
            FieldType::String | FieldType::Duration | FieldType::Enum(_) => "string".into(),
            FieldType::Number => "number".into(),
            FieldType::Bool => "bool".into(),
            FieldType::List(t) => format!("list of {}", t.describe()),
            FieldType::Map(t) => format!("map of {}", t.describe()),
            FieldType::Any => "any value".into(),
            FieldType::Block { .. } => "object".into(),
        }
    }
}

/// One argument (or nested block) a component accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// The argument's name as written in templates (`ami_name`).
    pub name: &'static str,
    /// The type values must convert to.
    pub ty: FieldType,
    /// Whether the argument must be set (Packer's `required` tag).
    pub required: bool,
}

impl Field {
    /// An optional field of type `ty`.
    pub const fn new(name: &'static str, ty: FieldType) -> Field {
        Field {
            name,
            ty,
            required: false,
        }
    }
    /// An optional string field.
    pub const fn string(name: &'static str) -> Field {
        Field::new(name, FieldType::String)
    }
    /// An optional number field.
    pub const fn number(name: &'static str) -> Field {
        Field::new(name, FieldType::Number)
    }
    /// An optional bool field.
    pub const fn bool(name: &'static str) -> Field {
        Field::new(name, FieldType::Bool)
    }
    /// An optional Go duration field (`"5m"`).
    pub const fn duration(name: &'static str) -> Field {
        Field::new(name, FieldType::Duration)
    }
    /// An optional field accepting any value.
    pub const fn any(name: &'static str) -> Field {
        Field::new(name, FieldType::Any)
    }
    /// An optional string field restricted to `values`.
    pub const fn one_of(name: &'static str, values: &'static [&'static str]) -> Field {
        Field::new(name, FieldType::Enum(values))
    }
    /// `list(string)`.
    pub const fn strings(name: &'static str) -> Field {
        Field::new(name, FieldType::List(&FieldType::String))
    }
    /// `map(string)`.
    pub const fn string_map(name: &'static str) -> Field {
        Field::new(name, FieldType::Map(&FieldType::String))
    }
    /// At most one nested block.
    pub const fn block(name: &'static str, fields: &'static [Field]) -> Field {
        Field::new(
            name,
            FieldType::Block {
                fields,
                min: 0,
                max: Some(1),
            },
        )
    }
    /// Any number of nested blocks.
    pub const fn blocks(name: &'static str, fields: &'static [Field]) -> Field {
        Field::new(
            name,
            FieldType::Block {
                fields,
                min: 0,
                max: None,
            },
        )
    }
    /// Mark the field required.
    pub const fn req(mut self) -> Field {
        self.required = true;
        self
    }
}

/// Why a value does not fit a type, in cty's words ("string required",
/// "element 0: a number is required").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch(pub String);

/// Check a value against a (non-block) type with cty's conversions (HCL2
/// templates). Null and unknown values pass.
pub fn check_value(ty: &FieldType, v: &Value) -> Result<(), TypeMismatch> {
    check_value_mode(ty, v, false)
}

/// Check a value the way Packer decodes legacy JSON templates
/// (mapstructure with `WeaklyTypedInput`): additionally a single value
/// where a list is expected, numbers and strings as bools (`"1"`, `""`),
/// `""` as a number and numbers as durations (nanoseconds).
pub fn check_value_weak(ty: &FieldType, v: &Value) -> Result<(), TypeMismatch> {
    check_value_mode(ty, v, true)
}

fn weak_bool(s: &str) -> bool {
    matches!(
        s,
        "" | "1"
            | "t"
            | "T"
            | "TRUE"
            | "true"
            | "True"
            | "0"
            | "f"
            | "F"
            | "FALSE"
            | "false"
            | "False"
    )
}

fn check_value_mode(ty: &FieldType, v: &Value, weak: bool) -> Result<(), TypeMismatch> {
    if matches!(v, Value::Null | Value::Unknown) {
        return Ok(());
    }
    if weak {
        match (ty, v) {
            (FieldType::Number, Value::Bool(_)) => return Ok(()),
            (FieldType::Number, Value::String(s)) if s.is_empty() => return Ok(()),
            (FieldType::Bool, Value::Number(_)) => return Ok(()),
            (FieldType::Bool, Value::String(s)) if weak_bool(s) => return Ok(()),
            (FieldType::List(inner), v) if !matches!(v, Value::List(_)) => {
                return check_value_mode(inner, v, weak)
            }
            _ => {}
        }
    }
    let fail = || Err(TypeMismatch(format!("{} required", ty.describe())));
    match ty {
        FieldType::Any => Ok(()),
        FieldType::String | FieldType::Duration | FieldType::Enum(_) => match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(()),
            _ => fail(),
        },
        FieldType::Number => match v {
            Value::Number(_) => Ok(()),
            Value::String(s) if parse_number(s).is_some() => Ok(()),
            Value::String(_) => Err(TypeMismatch("a number is required".into())),
            _ => fail(),
        },
        FieldType::Bool => match v {
            Value::Bool(_) => Ok(()),
            Value::String(s) if matches!(s.as_str(), "true" | "false" | "1" | "0") => Ok(()),
            Value::String(_) => Err(TypeMismatch("a bool is required".into())),
            _ => fail(),
        },
        FieldType::List(inner) => match v {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_value_mode(inner, item, weak)
                        .map_err(|e| TypeMismatch(format!("element {i}: {}", e.0)))?;
                }
                Ok(())
            }
            _ => fail(),
        },
        FieldType::Map(inner) => match v {
            Value::Map(m) => {
                for (k, item) in m {
                    check_value_mode(inner, item, weak)
                        .map_err(|e| TypeMismatch(format!("element {k:?}: {}", e.0)))?;
                }
                Ok(())
            }
            _ => fail(),
        },
        FieldType::Block { .. } => match v {
            Value::Map(_) => Ok(()),
            Value::List(items)
                if items
                    .iter()
                    .all(|i| matches!(i, Value::Map(_) | Value::Unknown)) =>
            {
                Ok(())
            }
            _ => fail(),
        },
    }
}

/// A number as cty parses it from a string.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t != s {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Validate a Go `time.ParseDuration` string: an optional sign and a
/// sequence of decimal numbers, each with an optional fraction and a unit
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`); `"0"` alone is valid.
pub fn parse_duration(s: &str) -> Result<(), crate::duration::DurationError> {
    crate::duration::parse_go_nanos(s).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_go() {
        for ok in [
            "5m", "1h30m", "300ms", "0", "1.5h", "-2s", "10us", "1µs", ".5s",
        ] {
            assert_eq!(parse_duration(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            parse_duration("10").map_err(|e| e.to_string()),
            Err("time: missing unit in duration \"10\"".to_string())
        );
        assert_eq!(
            parse_duration("5x").map_err(|e| e.to_string()),
            Err("time: unknown unit \"x\" in duration \"5x\"".to_string())
        );
        for bad in ["", "m", "1..5s", "abc", "-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cty_style_conversions() {
        let s = FieldType::String;
        let n = FieldType::Number;
        let b = FieldType::Bool;
        assert!(check_value(&s, &Value::Number(1.0)).is_ok());
        assert!(check_value(&s, &Value::Bool(true)).is_ok());
        assert_eq!(
            check_value(&s, &Value::List(vec![])),
            Err(TypeMismatch("string required".into()))
        );
        assert!(check_value(&n, &Value::from("10")).is_ok());
        assert_eq!(
            check_value(&n, &Value::from("abc")),
            Err(TypeMismatch("a number is required".into()))
        );
        assert!(check_value(&b, &Value::from("true")).is_ok());
        assert!(check_value(&b, &Value::from("yes")).is_err());
        let l = FieldType::List(&FieldType::Number);
        assert_eq!(
            check_value(&l, &Value::List(vec![Value::Number(1.0), Value::from("x")])),
            Err(TypeMismatch("element 1: a number is required".into()))
        );
        assert_eq!(
            check_value(&l, &Value::from("x")),
            Err(TypeMismatch("list of number required".into()))
        );
        assert!(check_value(&l, &Value::Unknown).is_ok());
        assert!(check_value(&n, &Value::Unknown).is_ok());
    }
}
