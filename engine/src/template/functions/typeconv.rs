//! Type conversion: `convert` and the `to*` functions, `sensitive` and
//! `nonsensitive`.

use std::collections::BTreeMap;

use super::helpers::{arg_err, parse_number, str_arg, to_set, R};
use super::FuncCtx;
use crate::template::Value;

/// A parsed HCL type expression.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeExpr>),
    Set(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    Tuple(Vec<TypeExpr>),
    Object(BTreeMap<String, TypeExpr>),
    /// `optional(T)`: only valid as an object attribute type; a missing
    /// attribute converts to null.
    Optional(Box<TypeExpr>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at offset {}", c as char, self.i))
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric()
                || self.s[self.i] == b'_'
                || self.s[self.i] == b'-')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!("expected a type name at offset {}", self.i));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn ty(&mut self, depth: usize) -> Result<TypeExpr, String> {
        if depth > 64 {
            return Err("type expression is nested too deeply".into());
        }
        let name = self.ident()?;
        Ok(match name.as_str() {
            "any" => TypeExpr::Any,
            "string" => TypeExpr::String,
            "number" => TypeExpr::Number,
            "bool" => TypeExpr::Bool,
            "list" | "set" | "map" => {
                self.expect(b'(')?;
                let inner = Box::new(self.ty(depth + 1)?);
                self.expect(b')')?;
                match name.as_str() {
                    "list" => TypeExpr::List(inner),
                    "set" => TypeExpr::Set(inner),
                    _ => TypeExpr::Map(inner),
                }
            }
            "tuple" => {
                self.expect(b'(')?;
                self.expect(b'[')?;
                let mut items = Vec::new();
                while !self.eat(b']') {
                    items.push(self.ty(depth + 1)?);
                    if !self.eat(b',') {
                        self.expect(b']')?;
                        break;
                    }
                }
                self.expect(b')')?;
                TypeExpr::Tuple(items)
            }
            "object" => {
                self.expect(b'(')?;
                self.expect(b'{')?;
                let mut attrs = BTreeMap::new();
                while !self.eat(b'}') {
                    let key = self.ident()?;
                    if !self.eat(b'=') {
                        self.expect(b':')?;
                    }
                    let save = self.i;
                    let attr = if self.ident().as_deref() == Ok("optional") {
                        self.expect(b'(')?;
                        let inner = self.ty(depth + 1)?;
                        if self.eat(b',') {
                            return Err("optional attribute defaults are not supported here".into());
                        }
                        self.expect(b')')?;
                        TypeExpr::Optional(Box::new(inner))
                    } else {
                        self.i = save;
                        self.ty(depth + 1)?
                    };
                    attrs.insert(key, attr);
                    if !self.eat(b',') {
                        self.expect(b'}')?;
                        break;
                    }
                }
                self.expect(b')')?;
                TypeExpr::Object(attrs)
            }
            other => {
                return Err(format!(
                    "the keyword {other:?} is not a valid type specification"
                ))
            }
        })
    }
}

/// Parse a type expression such as `list(map(string))`.
pub fn parse_type(s: &str) -> Result<TypeExpr, String> {
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
    };
    let t = p.ty(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected text after the type at offset {}", p.i));
    }
    Ok(t)
}

fn prim_rank(v: &Value) -> Option<u8> {
    match v {
        Value::Bool(_) => Some(0),
        Value::Number(_) => Some(1),
        Value::String(_) => Some(2),
        _ => None,
    }
}

/// Unify the element type of a collection built from `items` (cty's
/// `UnifyUnsafe` for the common primitive cases).
fn unify(items: &[&Value]) -> Result<TypeExpr, String> {
    let ranks: Vec<u8> = items.iter().filter_map(|v| prim_rank(v)).collect();
    let non_prim = items
        .iter()
        .any(|v| matches!(v, Value::List(_) | Value::Map(_)));
    if non_prim && !ranks.is_empty() {
        return Err("all elements must have the same type".into());
    }
    if ranks.is_empty() {
        return Ok(TypeExpr::Any);
    }
    let has = |r| ranks.contains(&r);
    Ok(if has(2) {
        TypeExpr::String
    } else if has(0) && has(1) {
        return Err("all elements must have the same type (bool and number)".into());
    } else if has(1) {
        TypeExpr::Number
    } else {
        TypeExpr::Bool
    })
}

fn path(p: &str, k: impl std::fmt::Display) -> String {
    format!("{p}[{k}]")
}

fn conv(v: &Value, ty: &TypeExpr, at: &str, depth: usize) -> Result<Value, String> {
    let err = |want: &str| {
        let loc = if at.is_empty() {
            String::new()
        } else {
            format!("{at}: ")
        };
        Err(format!("{loc}{want} required, got {}", v.type_name()))
    };
    if depth > 256 {
        return Err("value is nested too deeply".into());
    }
    if matches!(v, Value::Null | Value::Unknown) {
        return Ok(v.clone());
    }
    match ty {
        TypeExpr::Any => Ok(v.clone()),
        TypeExpr::Optional(inner) => conv(v, inner, at, depth + 1),
        TypeExpr::String => match v.to_display_string() {
            Some(s) => Ok(Value::String(s)),
            None => err("string"),
        },
        TypeExpr::Number => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => parse_number(s)
                .map(Value::Number)
                .ok_or_else(|| format!("cannot convert {s:?} to number: a number is required")),
            _ => err("number"),
        },
        TypeExpr::Bool => match v {
            Value::Bool(_) => Ok(v.clone()),
            Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            Value::String(s) => Err(format!(
                "cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"
            )),
            _ => err("bool"),
        },
        TypeExpr::List(el) | TypeExpr::Set(el) => {
            let Value::List(items) = v else {
                return err("list");
            };
            let el = match **el {
                TypeExpr::Any => unify(&items.iter().collect::<Vec<_>>())?,
                ref t => t.clone(),
            };
            let out = items
                .iter()
                .enumerate()
                .map(|(i, item)| conv(item, &el, &path(at, i), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, TypeExpr::Set(_)) && out.iter().any(Value::is_unknown) {
                // Unknown elements may turn out equal to others.
                Ok(Value::Unknown)
            } else if matches!(ty, TypeExpr::Set(_)) {
                Ok(Value::List(to_set(out)))
            } else {
                Ok(Value::List(out))
            }
        }
        TypeExpr::Map(el) => {
            let Value::Map(m) = v else { return err("map") };
            let el = match **el {
                TypeExpr::Any => unify(&m.values().collect::<Vec<_>>())?,
                ref t => t.clone(),
            };
            let out = m
                .iter()
                .map(|(k, item)| {
                    Ok((
                        k.clone(),
                        conv(item, &el, &path(at, format!("{k:?}")), depth + 1)?,
                    ))
                })
                .collect::<Result<BTreeMap<_, _>, String>>()?;
            Ok(Value::Map(out))
        }
        TypeExpr::Tuple(types) => {
            let Value::List(items) = v else {
                return err("tuple");
            };
            if items.len() != types.len() {
                return Err(format!(
                    "tuple required with {} elements, got {}",
                    types.len(),
                    items.len()
                ));
            }
            let out = items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (item, t))| conv(item, t, &path(at, i), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(out))
        }
        TypeExpr::Object(attrs) => {
            let Value::Map(m) = v else {
                return err("object");
            };
            let mut out = BTreeMap::new();
            for (k, t) in attrs {
                let (t, item) = match (t, m.get(k)) {
                    (TypeExpr::Optional(inner), None) => (inner.as_ref(), &Value::Null),
                    (TypeExpr::Optional(inner), Some(item)) => (inner.as_ref(), item),
                    (t, Some(item)) => (t, item),
                    (_, None) => return Err(format!("attribute {k:?} is required")),
                };
                out.insert(k.clone(), conv(item, t, &format!("{at}.{k}"), depth + 1)?);
            }
            Ok(Value::Map(out))
        }
    }
}

/// Convert `v` to the type `ty` (cty's safe conversions).
pub fn convert_to_type(v: &Value, ty: &TypeExpr) -> Result<Value, String> {
    conv(v, ty, "", 0)
}

pub fn convert(_: &FuncCtx, a: &[Value]) -> R {
    let ty = parse_type(&str_arg(a, 1)?).map_err(|e| arg_err(1, e))?;
    convert_to_type(&a[0], &ty).map_err(|e| arg_err(0, e))
}

fn to(a: &[Value], ty: TypeExpr) -> R {
    convert_to_type(&a[0], &ty)
        .map_err(|e| arg_err(0, format!("Invalid value for \"v\" parameter: {e}")))
}

pub fn tostring(_: &FuncCtx, a: &[Value]) -> R {
    to(a, TypeExpr::String)
}

pub fn tonumber(_: &FuncCtx, a: &[Value]) -> R {
    to(a, TypeExpr::Number)
}

pub fn tobool(_: &FuncCtx, a: &[Value]) -> R {
    to(a, TypeExpr::Bool)
}

pub fn tolist(_: &FuncCtx, a: &[Value]) -> R {
    to(a, TypeExpr::List(Box::new(TypeExpr::Any)))
}

pub fn toset(_: &FuncCtx, a: &[Value]) -> R {
    to(a, TypeExpr::Set(Box::new(TypeExpr::Any)))
}

pub fn tomap(_: &FuncCtx, a: &[Value]) -> R {
    to(a, TypeExpr::Map(Box::new(TypeExpr::Any)))
}

/// `sensitive` / `nonsensitive`: kiln does not track sensitivity marks
/// in values, so both return their argument.
pub fn identity(_: &FuncCtx, a: &[Value]) -> R {
    Ok(a[0].clone())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, obj, s};
    use super::*;
    use crate::template::functions::call;

    #[test]
    fn parse_types() {
        assert_eq!(parse_type("string"), Ok(TypeExpr::String));
        assert_eq!(
            parse_type(" list( map(number) ) "),
            Ok(TypeExpr::List(Box::new(TypeExpr::Map(Box::new(
                TypeExpr::Number
            )))))
        );
        assert_eq!(
            parse_type("object({a = string, b = tuple([bool, any])})"),
            Ok(TypeExpr::Object(BTreeMap::from([
                ("a".to_string(), TypeExpr::String),
                (
                    "b".to_string(),
                    TypeExpr::Tuple(vec![TypeExpr::Bool, TypeExpr::Any])
                ),
            ])))
        );
        assert!(parse_type("strin").is_err());
        assert!(parse_type("object({a = optional(string, \"x\")})").is_err());
        assert!(parse_type("list(string").is_err());
        assert!(parse_type("string x").is_err());
    }

    #[test]
    fn conversions() {
        assert_eq!(call_ok("tostring", &[n(5.0)]), s("5"));
        assert_eq!(call_ok("tostring", &[Value::Bool(true)]), s("true"));
        assert!(call("tostring", &ctx(), &[l(vec![])]).is_err());
        assert_eq!(call_ok("tonumber", &[s("1.5")]), n(1.5));
        assert!(call("tonumber", &ctx(), &[s("no")]).is_err());
        assert!(call("tonumber", &ctx(), &[s(" 1")]).is_err());
        assert!(call("tonumber", &ctx(), &[s("inf")]).is_err());
        assert_eq!(call_ok("tonumber", &[s("-1.5e3")]), n(-1500.0));
        assert_eq!(call_ok("tobool", &[s("true")]), Value::Bool(true));
        assert!(call("tobool", &ctx(), &[s("yes")]).is_err());
        assert_eq!(call_ok("tobool", &[Value::Null]), Value::Null);
        assert_eq!(
            call_ok("tolist", &[l(vec![s("a"), n(1.0)])]),
            l(vec![s("a"), s("1")])
        );
        assert_eq!(
            call_ok("toset", &[l(vec![s("c"), s("b"), s("b")])]),
            l(vec![s("b"), s("c")])
        );
        assert_eq!(
            call_ok("tomap", &[obj(&[("a", n(1.0)), ("b", s("x"))])]),
            obj(&[("a", s("1")), ("b", s("x"))])
        );
        assert!(call("tolist", &ctx(), &[l(vec![Value::Bool(true), n(1.0)])]).is_err());
        assert_eq!(
            call_ok("convert", &[l(vec![n(1.0), n(2.0)]), s("list(string)")]),
            l(vec![s("1"), s("2")])
        );
        assert_eq!(
            call_ok("convert", &[obj(&[("a", s("5"))]), s("map(number)")]),
            obj(&[("a", n(5.0))])
        );
        assert_eq!(
            call_ok(
                "convert",
                &[
                    obj(&[("a", s("5")), ("b", n(1.0))]),
                    s("object({a=number})")
                ]
            ),
            obj(&[("a", n(5.0))])
        );
        assert!(call("convert", &ctx(), &[s("x"), s("nope")]).is_err());
        assert_eq!(
            call_ok(
                "convert",
                &[
                    obj(&[("a", n(1.0))]),
                    s("object({a = string, b = optional(number)})")
                ]
            ),
            obj(&[("a", s("1")), ("b", Value::Null)])
        );
        assert!(call("convert", &ctx(), &[obj(&[]), s("object({a=number})")]).is_err());
        assert_eq!(call_ok("sensitive", &[s("secret")]), s("secret"));
        assert_eq!(call_ok("nonsensitive", &[s("secret")]), s("secret"));
    }
}
