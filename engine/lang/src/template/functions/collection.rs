//! Collection functions (cty stdlib / go-cty-funcs semantics).

use std::collections::BTreeMap;

use super::helpers::{
    arg_err, dedup, failed, int_arg, list_arg, map_arg, str_arg, string, to_set, R,
};
use super::FuncCtx;
use crate::template::Value;

fn truthy(v: &Value, index: usize) -> Result<bool, super::FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(arg_err(
            index,
            format!("list of bool required, found {}", other.type_name()),
        )),
    }
}

pub fn alltrue(_: &FuncCtx, a: &[Value]) -> R {
    for v in list_arg(a, 0)? {
        if !truthy(v, 0)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

pub fn anytrue(_: &FuncCtx, a: &[Value]) -> R {
    for v in list_arg(a, 0)? {
        if truthy(v, 0)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

pub fn chunklist(_: &FuncCtx, a: &[Value]) -> R {
    let list = list_arg(a, 0)?;
    let size = int_arg(a, 1)?;
    if size < 0 {
        return Err(arg_err(1, "the size argument must be positive"));
    }
    if list.is_empty() {
        return Ok(Value::List(vec![]));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(list.to_vec())]));
    }
    Ok(Value::List(
        list.chunks(size as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

pub fn coalesce(_: &FuncCtx, a: &[Value]) -> R {
    // cty unifies the argument types first: primitives mixed with strings
    // become strings; bool with number, or primitives with collections,
    // do not unify.
    let has = |f: fn(&Value) -> bool| a.iter().any(f);
    let any_string = has(|v| matches!(v, Value::String(_)));
    let any_number = has(|v| matches!(v, Value::Number(_)));
    let any_bool = has(|v| matches!(v, Value::Bool(_)));
    let any_collection = has(|v| matches!(v, Value::List(_) | Value::Map(_)));
    if (any_number && any_bool && !any_string)
        || (any_collection && (any_string || any_number || any_bool))
    {
        return Err(failed("all arguments must have the same type"));
    }
    for v in a {
        match v {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            v if v.is_unknown() => return Ok(Value::Unknown),
            Value::Number(_) | Value::Bool(_) if any_string => {
                return Ok(string(v.to_display_string().unwrap_or_default()))
            }
            v => return Ok(v.clone()),
        }
    }
    Err(failed("no non-null, non-empty-string arguments"))
}

pub fn coalescelist(_: &FuncCtx, a: &[Value]) -> R {
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::Null => continue,
            Value::List(l) if l.is_empty() => continue,
            Value::List(_) => return Ok(v.clone()),
            other => {
                return Err(arg_err(
                    i,
                    format!("list or tuple required, got {}", other.type_name()),
                ))
            }
        }
    }
    Err(failed("no non-null arguments"))
}

pub fn compact(_: &FuncCtx, a: &[Value]) -> R {
    let mut out = Vec::new();
    for v in list_arg(a, 0)? {
        match v {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            v => match v.to_display_string() {
                Some(s) => out.push(string(s)),
                None => return Err(arg_err(0, "list of string required")),
            },
        }
    }
    Ok(Value::List(out))
}

pub fn concat(_: &FuncCtx, a: &[Value]) -> R {
    let mut out = Vec::new();
    for i in 0..a.len() {
        out.extend_from_slice(list_arg(a, i)?);
    }
    Ok(Value::List(out))
}

/// cty's `Equals`: values of different types are never equal.
fn same(a: &Value, b: &Value) -> bool {
    a == b
}

pub fn contains(_: &FuncCtx, a: &[Value]) -> R {
    let list = list_arg(a, 0)?;
    Ok(Value::Bool(list.iter().any(|v| same(v, &a[1]))))
}

pub fn index(_: &FuncCtx, a: &[Value]) -> R {
    let list = list_arg(a, 0)?;
    if list.is_empty() {
        return Err(failed("cannot search an empty list"));
    }
    match list.iter().position(|v| same(v, &a[1])) {
        Some(i) => Ok(Value::Number(i as f64)),
        None => Err(failed("item not found")),
    }
}

pub fn distinct(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::List(dedup(list_arg(a, 0)?.iter().cloned())))
}

pub fn element(_: &FuncCtx, a: &[Value]) -> R {
    let list = list_arg(a, 0)?;
    let i = int_arg(a, 1)?;
    if list.is_empty() {
        return Err(arg_err(0, "cannot use element function with an empty list"));
    }
    let idx = i.rem_euclid(list.len() as i64) as usize;
    Ok(list[idx].clone())
}

fn flatten_into(v: &[Value], out: &mut Vec<Value>, depth: usize) -> Result<(), super::FuncError> {
    if depth > 256 {
        return Err(arg_err(0, "list is nested too deeply"));
    }
    for item in v {
        match item {
            Value::List(l) => flatten_into(l, out, depth + 1)?,
            other => out.push(other.clone()),
        }
    }
    Ok(())
}

pub fn flatten(_: &FuncCtx, a: &[Value]) -> R {
    let mut out = Vec::new();
    flatten_into(list_arg(a, 0)?, &mut out, 0)?;
    Ok(Value::List(out))
}

pub fn keys(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::List(map_arg(a, 0)?.keys().map(string).collect()))
}

pub fn values(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::List(map_arg(a, 0)?.values().cloned().collect()))
}

pub fn length(_: &FuncCtx, a: &[Value]) -> R {
    match &a[0] {
        Value::Unknown => Ok(Value::Unknown),
        Value::List(l) => Ok(Value::Number(l.len() as f64)),
        Value::Map(m) => Ok(Value::Number(m.len() as f64)),
        Value::String(s) => Ok(Value::Number(super::helpers::graphemes(s).len() as f64)),
        Value::Null => Err(arg_err(0, "argument must not be null")),
        other => Err(arg_err(
            0,
            format!("collection or string required, got {}", other.type_name()),
        )),
    }
}

pub fn lookup(_: &FuncCtx, a: &[Value]) -> R {
    let map = map_arg(a, 0)?;
    let key = str_arg(a, 1)?;
    match (map.get(key.as_ref()), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(arg_err(
            0,
            format!("the given object has no attribute {key:?}"),
        )),
    }
}

pub fn merge(_: &FuncCtx, a: &[Value]) -> R {
    let mut out = BTreeMap::new();
    for (i, v) in a.iter().enumerate() {
        match v {
            Value::Null => {}
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(arg_err(
                    i,
                    format!("map or object required, got {}", other.type_name()),
                ))
            }
        }
    }
    Ok(Value::Map(out))
}

pub fn reverse(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::List(list_arg(a, 0)?.iter().rev().cloned().collect()))
}

pub fn setunion(_: &FuncCtx, a: &[Value]) -> R {
    let mut all = Vec::new();
    for i in 0..a.len() {
        all.extend_from_slice(list_arg(a, i)?);
    }
    Ok(Value::List(to_set(all)))
}

pub fn setintersection(_: &FuncCtx, a: &[Value]) -> R {
    let mut acc = to_set(list_arg(a, 0)?.iter().cloned());
    for i in 1..a.len() {
        let other = list_arg(a, i)?;
        acc.retain(|v| other.contains(v));
    }
    Ok(Value::List(acc))
}

pub fn setsubtract(_: &FuncCtx, a: &[Value]) -> R {
    let other = list_arg(a, 1)?;
    let mut acc = to_set(list_arg(a, 0)?.iter().cloned());
    acc.retain(|v| !other.contains(v));
    Ok(Value::List(acc))
}

const MAX_ELEMENTS: usize = 1_000_000;

pub fn setproduct(_: &FuncCtx, a: &[Value]) -> R {
    if a.is_empty() {
        return Err(failed("at least two arguments are required"));
    }
    let mut acc: Vec<Vec<Value>> = vec![vec![]];
    for i in 0..a.len() {
        let set = list_arg(a, i)?;
        if acc.len().saturating_mul(set.len()) > MAX_ELEMENTS {
            return Err(arg_err(i, "the product has too many elements"));
        }
        acc = acc
            .iter()
            .flat_map(|prefix| {
                set.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(Value::List(acc.into_iter().map(Value::List).collect()))
}

pub fn slice(_: &FuncCtx, a: &[Value]) -> R {
    let list = list_arg(a, 0)?;
    let start = int_arg(a, 1)?;
    let end = int_arg(a, 2)?;
    let len = list.len() as i64;
    if start < 0 {
        return Err(arg_err(1, "start index must not be less than zero"));
    }
    if start > len {
        return Err(arg_err(
            1,
            "start index must not be greater than the length of the list",
        ));
    }
    if end < 0 {
        return Err(arg_err(2, "end index must not be less than zero"));
    }
    if end > len {
        return Err(arg_err(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(arg_err(1, "start index must not be greater than end index"));
    }
    Ok(Value::List(list[start as usize..end as usize].to_vec()))
}

pub fn sort(_: &FuncCtx, a: &[Value]) -> R {
    let mut out = Vec::new();
    for (i, v) in list_arg(a, 0)?.iter().enumerate() {
        match v.to_display_string() {
            Some(s) => out.push(s),
            None if v.is_null() => {
                return Err(arg_err(
                    0,
                    format!("given list element {i} is null; a null string cannot be sorted"),
                ))
            }
            None => return Err(arg_err(0, "list of string required")),
        }
    }
    out.sort();
    Ok(Value::List(out.into_iter().map(Value::String).collect()))
}

pub fn transpose(_: &FuncCtx, a: &[Value]) -> R {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in map_arg(a, 0)? {
        let Value::List(items) = v else {
            return Err(arg_err(0, "input must be a map of lists of strings"));
        };
        out.entry(k.clone()).or_default();
        for item in items {
            let s = item
                .to_display_string()
                .ok_or_else(|| arg_err(0, "input must be a map of lists of strings"))?;
            out.entry(s).or_default().push(string(k.clone()));
        }
    }
    Ok(Value::Map(
        out.into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k, Value::List(v)))
            .collect(),
    ))
}

pub fn zipmap(_: &FuncCtx, a: &[Value]) -> R {
    let keys = list_arg(a, 0)?;
    if keys.iter().any(Value::is_unknown) {
        return Ok(Value::Unknown);
    }
    let values = list_arg(a, 1)?;
    if keys.len() != values.len() {
        return Err(arg_err(
            1,
            format!(
                "number of keys ({}) does not match number of values ({})",
                keys.len(),
                values.len()
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in keys.iter().zip(values) {
        let k = k
            .to_display_string()
            .ok_or_else(|| arg_err(0, "keys must be strings"))?;
        out.insert(k, v.clone());
    }
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, obj, s};
    use crate::template::functions::call;
    use crate::template::Value;

    #[test]
    fn docs_examples() {
        assert_eq!(
            call_ok("alltrue", &[l(vec![s("true"), Value::Bool(true)])]),
            Value::Bool(true)
        );
        assert_eq!(
            call_ok("alltrue", &[l(vec![Value::Bool(true), Value::Bool(false)])]),
            Value::Bool(false)
        );
        assert_eq!(call_ok("anytrue", &[l(vec![])]), Value::Bool(false));
        assert_eq!(
            call_ok(
                "chunklist",
                &[l(vec![s("a"), s("b"), s("c"), s("d"), s("e")]), n(2.0)]
            ),
            l(vec![
                l(vec![s("a"), s("b")]),
                l(vec![s("c"), s("d")]),
                l(vec![s("e")])
            ])
        );
        assert_eq!(call_ok("coalesce", &[s(""), s("b")]), s("b"));
        assert_eq!(call_ok("coalesce", &[n(1.0), n(2.0)]), n(1.0));
        assert_eq!(call_ok("coalesce", &[Value::Null, n(1.0), s("x")]), s("1"));
        assert!(call("coalesce", &ctx(), &[n(1.0), Value::Bool(true)]).is_err());
        assert!(call("coalesce", &ctx(), &[Value::Null, Value::Null]).is_err());
        assert_eq!(
            call_ok("coalescelist", &[l(vec![]), l(vec![s("c"), s("d")])]),
            l(vec![s("c"), s("d")])
        );
        assert_eq!(
            call_ok("compact", &[l(vec![s("a"), s(""), s("b"), Value::Null])]),
            l(vec![s("a"), s("b")])
        );
        assert_eq!(
            call_ok("concat", &[l(vec![s("a")]), l(vec![s("b"), s("c")])]),
            l(vec![s("a"), s("b"), s("c")])
        );
        assert_eq!(
            call_ok("contains", &[l(vec![s("a"), s("b")]), s("b")]),
            Value::Bool(true)
        );
        assert_eq!(
            call_ok("contains", &[l(vec![s("a")]), s("z")]),
            Value::Bool(false)
        );
        assert_eq!(
            call_ok("distinct", &[l(vec![s("a"), s("b"), s("a")])]),
            l(vec![s("a"), s("b")])
        );
        assert_eq!(
            call_ok("element", &[l(vec![s("a"), s("b"), s("c")]), n(3.0)]),
            s("a")
        );
        assert_eq!(
            call_ok("element", &[l(vec![s("a"), s("b"), s("c")]), n(-1.0)]),
            s("c")
        );
        assert!(call("element", &ctx(), &[l(vec![]), n(0.0)]).is_err());
        assert!(call("coalescelist", &ctx(), &[l(vec![]), Value::Null]).is_err());
        assert_eq!(call_ok("chunklist", &[l(vec![]), n(0.0)]), l(vec![]));
        assert_eq!(
            call_ok("contains", &[l(vec![s("1")]), n(1.0)]),
            Value::Bool(false)
        );
        assert_eq!(
            call_ok(
                "flatten",
                &[l(vec![l(vec![s("a"), s("b")]), l(vec![]), l(vec![s("c")])])]
            ),
            l(vec![s("a"), s("b"), s("c")])
        );
        assert_eq!(
            call_ok("index", &[l(vec![s("a"), s("b"), s("c")]), s("b")]),
            n(1.0)
        );
        let m = obj(&[("a", n(1.0)), ("c", n(2.0)), ("d", n(3.0))]);
        assert_eq!(
            call_ok("keys", std::slice::from_ref(&m)),
            l(vec![s("a"), s("c"), s("d")])
        );
        assert_eq!(
            call_ok("values", std::slice::from_ref(&m)),
            l(vec![n(1.0), n(2.0), n(3.0)])
        );
        assert_eq!(call_ok("length", std::slice::from_ref(&m)), n(3.0));
        assert_eq!(call_ok("length", &[s("héllo")]), n(5.0));
        assert_eq!(call_ok("lookup", &[m.clone(), s("a"), s("x")]), n(1.0));
        assert_eq!(call_ok("lookup", &[m.clone(), s("z"), s("x")]), s("x"));
        assert!(call("lookup", &ctx(), &[m, s("z")]).is_err());
        assert_eq!(
            call_ok(
                "merge",
                &[
                    obj(&[("a", s("b")), ("c", s("d"))]),
                    obj(&[("e", s("f")), ("c", s("z"))])
                ]
            ),
            obj(&[("a", s("b")), ("c", s("z")), ("e", s("f"))])
        );
        assert_eq!(
            call_ok("reverse", &[l(vec![n(1.0), n(2.0)])]),
            l(vec![n(2.0), n(1.0)])
        );
        assert_eq!(
            call_ok(
                "setintersection",
                &[
                    l(vec![s("a"), s("b")]),
                    l(vec![s("b"), s("c")]),
                    l(vec![s("b"), s("d")])
                ]
            ),
            l(vec![s("b")])
        );
        assert_eq!(
            call_ok(
                "setunion",
                &[
                    l(vec![s("a"), s("b")]),
                    l(vec![s("b"), s("c")]),
                    l(vec![s("d")])
                ]
            ),
            l(vec![s("a"), s("b"), s("c"), s("d")])
        );
        assert_eq!(
            call_ok(
                "setsubtract",
                &[l(vec![s("a"), s("b"), s("c")]), l(vec![s("a"), s("c")])]
            ),
            l(vec![s("b")])
        );
        assert_eq!(
            call_ok(
                "setproduct",
                &[l(vec![s("a"), s("b")]), l(vec![s("x"), s("y")])]
            ),
            l(vec![
                l(vec![s("a"), s("x")]),
                l(vec![s("a"), s("y")]),
                l(vec![s("b"), s("x")]),
                l(vec![s("b"), s("y")])
            ])
        );
        assert_eq!(
            call_ok(
                "slice",
                &[l(vec![s("a"), s("b"), s("c"), s("d")]), n(1.0), n(3.0)]
            ),
            l(vec![s("b"), s("c")])
        );
        assert!(call("slice", &ctx(), &[l(vec![s("a")]), n(0.0), n(5.0)]).is_err());
        assert_eq!(
            call_ok("sort", &[l(vec![s("e"), s("d"), s("a"), s("x")])]),
            l(vec![s("a"), s("d"), s("e"), s("x")])
        );
        assert_eq!(
            call_ok(
                "transpose",
                &[obj(&[
                    ("a", l(vec![s("1"), s("2")])),
                    ("b", l(vec![s("2"), s("3")]))
                ])]
            ),
            obj(&[
                ("1", l(vec![s("a")])),
                ("2", l(vec![s("a"), s("b")])),
                ("3", l(vec![s("b")]))
            ])
        );
        assert_eq!(
            call_ok(
                "zipmap",
                &[l(vec![s("a"), s("b")]), l(vec![n(1.0), n(2.0)])]
            ),
            obj(&[("a", n(1.0)), ("b", n(2.0))])
        );
    }
}
