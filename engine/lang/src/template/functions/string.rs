//! String functions (cty stdlib semantics).

use std::collections::BTreeMap;

use super::helpers::{arg_err, failed, graphemes, int_arg, list_arg, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

pub fn upper(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(str_arg(a, 0)?.to_uppercase()))
}

pub fn lower(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(str_arg(a, 0)?.to_lowercase()))
}

pub fn chomp(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(str_arg(a, 0)?.trim_end_matches(['\r', '\n'])))
}

pub fn trimspace(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(str_arg(a, 0)?.trim()))
}

pub fn trim(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let cut: Vec<char> = str_arg(a, 1)?.chars().collect();
    Ok(string(s.trim_matches(|c| cut.contains(&c))))
}

pub fn trimprefix(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let p = str_arg(a, 1)?;
    Ok(string(s.strip_prefix(p.as_ref()).unwrap_or(&s)))
}

pub fn trimsuffix(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let p = str_arg(a, 1)?;
    Ok(string(s.strip_suffix(p.as_ref()).unwrap_or(&s)))
}

pub fn startswith(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::Bool(
        str_arg(a, 0)?.starts_with(str_arg(a, 1)?.as_ref()),
    ))
}

pub fn endswith(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::Bool(
        str_arg(a, 0)?.ends_with(str_arg(a, 1)?.as_ref()),
    ))
}

pub fn strcontains(_: &FuncCtx, a: &[Value]) -> R {
    Ok(Value::Bool(
        str_arg(a, 0)?.contains(str_arg(a, 1)?.as_ref()),
    ))
}

pub fn strrev(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    Ok(string(graphemes(&s).into_iter().rev().collect::<String>()))
}

pub fn title(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !(c.is_alphanumeric() || c == '_');
    }
    Ok(string(out))
}

pub fn indent(_: &FuncCtx, a: &[Value]) -> R {
    let n = int_arg(a, 0)?;
    if !(0..=1024).contains(&n) {
        return Err(arg_err(0, "number of spaces must be between 0 and 1024"));
    }
    let pad = " ".repeat(n as usize);
    let s = str_arg(a, 1)?;
    Ok(string(s.replace('\n', &format!("\n{pad}"))))
}

pub fn split(_: &FuncCtx, a: &[Value]) -> R {
    let sep = str_arg(a, 0)?;
    let s = str_arg(a, 1)?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| string(c.to_string())).collect()
    } else {
        s.split(sep.as_ref()).map(string).collect()
    };
    Ok(Value::List(parts))
}

pub fn join(_: &FuncCtx, a: &[Value]) -> R {
    let sep = str_arg(a, 0)?;
    let mut parts = Vec::new();
    let lists = a.len() - 1;
    for i in 1..a.len() {
        for (ei, item) in list_arg(a, i)?.iter().enumerate() {
            match item.to_display_string() {
                Some(s) => parts.push(s),
                None if item.is_null() && lists > 1 => {
                    return Err(arg_err(
                        i,
                        format!("element {ei} of list {i} is null; cannot concatenate null values"),
                    ));
                }
                None if item.is_null() => {
                    return Err(arg_err(
                        i,
                        format!("element {ei} is null; cannot concatenate null values"),
                    ));
                }
                None => return Err(arg_err(i, "list of string required")),
            }
        }
    }
    Ok(string(parts.join(&sep)))
}

pub fn substr(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let chars = graphemes(&s);
    let len = chars.len() as i64;
    let mut offset = int_arg(a, 1)?;
    let length = int_arg(a, 2)?;
    if offset < 0 {
        offset = (offset + len).max(0);
    }
    if offset >= len {
        return Ok(string(""));
    }
    let end = if length < 0 {
        len
    } else {
        offset.saturating_add(length).min(len)
    };
    Ok(string(chars[offset as usize..end as usize].concat()))
}

fn compile(pattern: &str, index: usize) -> Result<regex::Regex, FuncError> {
    regex::RegexBuilder::new(&super::regex_compat::translate(pattern))
        .size_limit(10 << 20)
        .build()
        .map_err(|e| arg_err(index, format!("invalid regular expression: {e}")))
}

pub fn replace(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let sub = str_arg(a, 1)?;
    let rep = str_arg(a, 2)?;
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = compile(&sub[1..sub.len() - 1], 1)?;
        return Ok(string(re.replace_all(&s, rep.as_ref()).into_owned()));
    }
    Ok(string(s.replace(sub.as_ref(), &rep)))
}

pub fn regex_replace(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let re = compile(&str_arg(a, 1)?, 1)?;
    let rep = str_arg(a, 2)?;
    Ok(string(re.replace_all(&s, rep.as_ref()).into_owned()))
}

enum Shape {
    Whole,
    Tuple,
    Object(Vec<String>),
}

fn shape(re: &regex::Regex) -> Result<Shape, FuncError> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Ok(Shape::Whole);
    }
    let named = names.iter().filter(|n| n.is_some()).count();
    if named == 0 {
        Ok(Shape::Tuple)
    } else if named == names.len() {
        Ok(Shape::Object(
            names.iter().flatten().map(|s| s.to_string()).collect(),
        ))
    } else {
        Err(arg_err(
            0,
            "invalid regular expression: cannot use both named and unnamed capture groups",
        ))
    }
}

fn match_value(shape: &Shape, caps: &regex::Captures) -> Value {
    let cap = |m: Option<regex::Match>| m.map(|m| string(m.as_str())).unwrap_or(Value::Null);
    match shape {
        Shape::Whole => cap(caps.get(0)),
        Shape::Tuple => Value::List((1..caps.len()).map(|i| cap(caps.get(i))).collect()),
        Shape::Object(names) => Value::Map(
            names
                .iter()
                .map(|n| (n.clone(), cap(caps.name(n))))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

pub fn regex(_: &FuncCtx, a: &[Value]) -> R {
    let re = compile(&str_arg(a, 0)?, 0)?;
    let s = str_arg(a, 1)?;
    let shape = shape(&re)?;
    match re.captures(&s) {
        Some(caps) => Ok(match_value(&shape, &caps)),
        None => Err(failed("pattern did not match any part of the given string")),
    }
}

pub fn regexall(_: &FuncCtx, a: &[Value]) -> R {
    let re = compile(&str_arg(a, 0)?, 0)?;
    let s = str_arg(a, 1)?;
    let shape = shape(&re)?;
    Ok(Value::List(
        re.captures_iter(&s)
            .map(|c| match_value(&shape, &c))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, l, s};
    use crate::template::Value;

    #[test]
    fn basic_strings() {
        assert_eq!(call_ok("chomp", &[s("hello\n\n")]), s("hello"));
        assert_eq!(call_ok("chomp", &[s("hello\r\n")]), s("hello"));
        assert_eq!(
            call_ok("indent", &[Value::Number(2.0), s("[\n  foo,\n]")]),
            s("[\n    foo,\n  ]")
        );
        assert_eq!(
            call_ok("join", &[s(", "), l(vec![s("foo"), s("bar"), s("baz")])]),
            s("foo, bar, baz")
        );
        assert_eq!(
            call_ok("split", &[s(","), s("foo,bar,baz")]),
            l(vec![s("foo"), s("bar"), s("baz")])
        );
        assert_eq!(call_ok("strrev", &[s("hello")]), s("olleh"));
        assert_eq!(call_ok("strrev", &[s("a💃🏿b")]), s("b💃🏿a"));
        assert_eq!(call_ok("length", &[s("💃🏿")]), Value::Number(1.0));
        assert_eq!(
            call_ok(
                "substr",
                &[s("💃🏿xyz"), Value::Number(0.0), Value::Number(2.0)]
            ),
            s("💃🏿x")
        );
        assert_eq!(
            call_ok(
                "substr",
                &[s("hello world"), Value::Number(1.0), Value::Number(4.0)]
            ),
            s("ello")
        );
        assert_eq!(
            call_ok(
                "substr",
                &[s("hello world"), Value::Number(-5.0), Value::Number(-1.0)]
            ),
            s("world")
        );
        assert_eq!(
            call_ok(
                "substr",
                &[s("hello"), Value::Number(100.0), Value::Number(3.0)]
            ),
            s("")
        );
        assert_eq!(
            call_ok(
                "substr",
                &[s("hello"), Value::Number(1.0), Value::Number(1e12)]
            ),
            s("ello")
        );
        assert_eq!(call_ok("title", &[s("don't stop")]), s("Don'T Stop"));
        assert_eq!(
            call_ok(
                "substr",
                &[s("hi"), Value::Number(-10.0), Value::Number(1.0)]
            ),
            s("h")
        );
        assert_eq!(call_ok("title", &[s("hello world")]), s("Hello World"));
        assert_eq!(call_ok("trim", &[s("?!hello?!"), s("!?")]), s("hello"));
        assert_eq!(
            call_ok("trimprefix", &[s("helloworld"), s("hello")]),
            s("world")
        );
        assert_eq!(
            call_ok("trimsuffix", &[s("helloworld"), s("world")]),
            s("hello")
        );
        assert_eq!(call_ok("trimspace", &[s("  hello\n\n")]), s("hello"));
        assert_eq!(call_ok("upper", &[s("hello")]), s("HELLO"));
        assert_eq!(call_ok("lower", &[s("HELLO")]), s("hello"));
        assert_eq!(
            call_ok("startswith", &[s("hello world"), s("hello")]),
            Value::Bool(true)
        );
        assert_eq!(
            call_ok("endswith", &[s("hello world"), s("world")]),
            Value::Bool(true)
        );
        assert_eq!(
            call_ok("strcontains", &[s("hello world"), s("wor")]),
            Value::Bool(true)
        );
        assert_eq!(
            call_ok("replace", &[s("1 + 2 + 3"), s("+"), s("-")]),
            s("1 - 2 - 3")
        );
        assert_eq!(
            call_ok("replace", &[s("hello world"), s("/w.*d/"), s("everybody")]),
            s("hello everybody")
        );
    }

    #[test]
    fn regexes() {
        assert_eq!(
            call_ok("regex_replace", &[s("hello world"), s("o"), s("0")]),
            s("hell0 w0rld")
        );
        assert_eq!(
            call_ok(
                "regex_replace",
                &[s("hello world"), s("(\\w+) (\\w+)"), s("$2 $1")]
            ),
            s("world hello")
        );
        assert_eq!(
            call_ok("regex", &[s("[a-z]+"), s("53453453.345345aaabbbccc23454")]),
            s("aaabbbccc")
        );
        assert_eq!(
            call_ok(
                "regex",
                &[s("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)"), s("2019-02-01")]
            ),
            l(vec![s("2019"), s("02"), s("01")])
        );
        let m = call_ok(
            "regex",
            &[
                s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                s("https://terraform.io/docs/"),
            ],
        );
        assert_eq!(
            m.as_map().and_then(|m| m.get("authority")),
            Some(&s("terraform.io"))
        );
        assert_eq!(m.as_map().and_then(|m| m.get("scheme")), Some(&s("https")));
        assert_eq!(
            call_ok("regexall", &[s("[a-z]+"), s("1234abcd5678efgh9")]),
            l(vec![s("abcd"), s("efgh")])
        );
        assert_eq!(call_ok("regexall", &[s("[a-z]+"), s("123")]), l(vec![]));
        let c = super::super::tests::ctx();
        assert!(super::super::call("regex", &c, &[s("[a-z"), s("x")]).is_err());
        assert!(super::super::call("regex", &c, &[s("[a-z]"), s("123")]).is_err());
    }
}
