//! Type conversion: `convert` and the `to*` functions, `sensitive` and
//! `nonsensitive`. Types and conversion rules are the ones variables use
//! ([`crate::template::types`]), so `convert(x, T)` and a variable of
//! type `T` agree.

use super::helpers::{arg_err, str_arg, R};
use super::FuncCtx;
use crate::template::types::{self, parse_type_str, Type};
use crate::template::Value;

pub fn convert(_: &FuncCtx, a: &[Value]) -> R {
    let ty = parse_type_str(&str_arg(a, 1)?).map_err(|e| arg_err(1, e.message))?;
    types::convert(&a[0], &ty).map_err(|e| arg_err(0, e.to_string()))
}

fn to(a: &[Value], ty: Type) -> R {
    types::convert(&a[0], &ty)
        .map_err(|e| arg_err(0, format!("Invalid value for \"v\" parameter: {e}")))
}

pub fn tostring(_: &FuncCtx, a: &[Value]) -> R {
    to(a, Type::String)
}

pub fn tonumber(_: &FuncCtx, a: &[Value]) -> R {
    to(a, Type::Number)
}

pub fn tobool(_: &FuncCtx, a: &[Value]) -> R {
    to(a, Type::Bool)
}

pub fn tolist(_: &FuncCtx, a: &[Value]) -> R {
    to(a, Type::List(Box::new(Type::Any)))
}

pub fn toset(_: &FuncCtx, a: &[Value]) -> R {
    to(a, Type::Set(Box::new(Type::Any)))
}

pub fn tomap(_: &FuncCtx, a: &[Value]) -> R {
    to(a, Type::Map(Box::new(Type::Any)))
}

/// `sensitive` / `nonsensitive`: kiln does not track sensitivity marks
/// in values, so both return their argument.
pub fn identity(_: &FuncCtx, a: &[Value]) -> R {
    Ok(a[0].clone())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, obj, s};
    use crate::template::functions::call;
    use crate::template::Value;

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
        // cty unifies mixed primitives to string
        assert_eq!(
            call_ok("tolist", &[l(vec![Value::Bool(true), n(1.0)])]),
            l(vec![s("true"), s("1")])
        );
        assert!(call("tolist", &ctx(), &[l(vec![s("a"), l(vec![])])]).is_err());
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
