//! String functions (cty stdlib semantics).

use std::collections::BTreeMap;

use super::helpers::{arg_err, failed, int_arg, list_arg, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::value::format_number;
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
    Ok(string(str_arg(a, 0)?.chars().rev().collect::<String>()))
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
        at_start = !(c.is_alphanumeric() || c == '_' || c == '\'');
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
    for i in 1..a.len() {
        for item in list_arg(a, i)? {
            match item.to_display_string() {
                Some(s) => parts.push(s),
                None if item.is_null() => {
                    return Err(arg_err(i, "element must not be null"));
                }
                None => return Err(arg_err(i, "elements must be strings")),
            }
        }
    }
    Ok(string(parts.join(&sep)))
}

pub fn substr(_: &FuncCtx, a: &[Value]) -> R {
    let chars: Vec<char> = str_arg(a, 0)?.chars().collect();
    let len = chars.len() as i64;
    let mut offset = int_arg(a, 1)?;
    let length = int_arg(a, 2)?;
    if offset < 0 {
        offset += len;
        if offset < 0 {
            return Err(arg_err(1, "offset out of range"));
        }
    }
    if offset >= len {
        return Ok(string(""));
    }
    let end = if length < 0 {
        len
    } else {
        offset.saturating_add(length).min(len)
    };
    Ok(string(
        chars[offset as usize..end as usize]
            .iter()
            .collect::<String>(),
    ))
}

fn compile(pattern: &str, index: usize) -> Result<regex::Regex, FuncError> {
    regex::RegexBuilder::new(pattern)
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

pub fn format(_: &FuncCtx, a: &[Value]) -> R {
    let fmt = str_arg(a, 0)?;
    Ok(string(format_values(&fmt, &a[1..], 1)?))
}

pub fn formatlist(_: &FuncCtx, a: &[Value]) -> R {
    let fmt = str_arg(a, 0)?;
    let mut n: Option<usize> = None;
    for (i, v) in a.iter().enumerate().skip(1) {
        if let Value::List(l) = v {
            match n {
                Some(len) if len != l.len() => {
                    return Err(arg_err(
                        i,
                        format!("argument must have the same length as earlier lists ({len})"),
                    ))
                }
                _ => n = Some(l.len()),
            }
        }
    }
    let count = n.unwrap_or(1);
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let row: Vec<Value> = a[1..]
            .iter()
            .map(|v| match v {
                Value::List(l) => l[k].clone(),
                other => other.clone(),
            })
            .collect();
        out.push(string(format_values(&fmt, &row, 1)?));
    }
    Ok(Value::List(out))
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn read_num(chars: &[char], i: &mut usize) -> Option<usize> {
    let start = *i;
    while *i < chars.len() && chars[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i == start {
        return None;
    }
    chars[start..*i].iter().collect::<String>().parse().ok()
}

/// cty's `format`: `base` is the argument index of `args[0]` for errors.
pub fn format_values(fmt: &str, args: &[Value], base: usize) -> Result<String, FuncError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next = 0usize;
    let mut max_used = 0usize;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        if i < chars.len() && chars[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i] {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        if i < chars.len() && chars[i] == '[' {
            i += 1;
            let n = read_num(&chars, &mut i);
            if i >= chars.len() || chars[i] != ']' || n.is_none_or(|n| n == 0) {
                return Err(arg_err(
                    0,
                    "invalid explicit argument index in format string",
                ));
            }
            i += 1;
            next = n.unwrap_or(1) - 1;
        }
        spec.width = read_num(&chars, &mut i);
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            spec.prec = Some(read_num(&chars, &mut i).unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            return Err(arg_err(0, "format string ends with an incomplete verb"));
        };
        i += 1;
        let Some(arg) = args.get(next) else {
            return Err(failed(format!(
                "not enough arguments for \"%{verb}\" at position {}",
                next + 1
            )));
        };
        let index = base + next;
        next += 1;
        max_used = max_used.max(next);
        let body = format_one(&spec, verb, arg, index)?;
        out.push_str(&pad(
            &spec,
            body,
            matches!(
                verb,
                'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'b' | 'o' | 'x' | 'X'
            ),
        ));
    }
    if max_used < args.len() {
        return Err(failed(format!(
            "too many arguments; only {max_used} used by format string"
        )));
    }
    Ok(out)
}

fn pad(spec: &Spec, body: String, numeric: bool) -> String {
    let len = body.chars().count();
    let Some(w) = spec.width.filter(|w| *w > len) else {
        return body;
    };
    let fill = w - len;
    if spec.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, digits) = match body.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => (c.to_string(), body[1..].to_string()),
            _ => (String::new(), body),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}

fn sign(spec: &Spec, n: f64, s: String) -> String {
    if n.is_sign_negative() || s.starts_with('-') {
        s
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    }
}

/// Go-style exponent: at least two digits with a sign.
fn go_exp(s: &str, upper: bool) -> String {
    let Some((mant, exp)) = s.split_once('e') else {
        return s.to_string();
    };
    let (esign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    let e = if upper { 'E' } else { 'e' };
    format!("{mant}{e}{esign}{digits:0>2}")
}

fn format_one(spec: &Spec, verb: char, arg: &Value, index: usize) -> Result<String, FuncError> {
    let num = |what: &str| -> Result<f64, FuncError> {
        match arg {
            Value::Number(n) => Ok(*n),
            Value::String(s) => super::helpers::parse_number(s).ok_or_else(|| {
                arg_err(
                    index,
                    format!("unsupported value for \"%{what}\": a number is required"),
                )
            }),
            _ => Err(arg_err(
                index,
                format!("unsupported value for \"%{what}\": a number is required"),
            )),
        }
    };
    let text = |what: char| -> Result<String, FuncError> {
        match arg {
            Value::Null => Err(arg_err(
                index,
                format!("unsupported value for \"%{what}\": null value cannot be formatted"),
            )),
            v => v.to_display_string().ok_or_else(|| {
                arg_err(
                    index,
                    format!("unsupported value for \"%{what}\": string required"),
                )
            }),
        }
    };
    let s = match verb {
        'v' if spec.sharp => {
            serde_json::to_string(&arg.to_json()).map_err(|e| failed(e.to_string()))?
        }
        'v' => match arg {
            Value::Null => "null".to_string(),
            Value::List(_) | Value::Map(_) => arg.to_json().to_string(),
            v => v.to_display_string().unwrap_or_default(),
        },
        't' => match arg {
            Value::Bool(b) => b.to_string(),
            Value::String(s) if s == "true" || s == "false" => s.clone(),
            _ => {
                return Err(arg_err(
                    index,
                    "unsupported value for \"%t\": bool required",
                ))
            }
        },
        's' => {
            let s = text('s')?;
            match spec.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'q' => serde_json::Value::String(text('q')?).to_string(),
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = num(&verb.to_string())?;
            if n.fract() != 0.0 || !n.is_finite() || n.abs() >= 1.7e38 {
                return Err(arg_err(
                    index,
                    format!("unsupported value for \"%{verb}\": an integer is required"),
                ));
            }
            let i = n as i128;
            let mag = i.unsigned_abs();
            let digits = match verb {
                'b' => format!("{mag:b}"),
                'o' if spec.sharp => format!("0{mag:o}"),
                'o' => format!("{mag:o}"),
                'x' if spec.sharp => format!("0x{mag:x}"),
                'x' => format!("{mag:x}"),
                'X' if spec.sharp => format!("0X{mag:X}"),
                'X' => format!("{mag:X}"),
                _ => mag.to_string(),
            };
            let body = if i < 0 { format!("-{digits}") } else { digits };
            sign(spec, n, body)
        }
        'f' | 'F' => {
            let n = num("f")?;
            sign(spec, n, format!("{:.*}", spec.prec.unwrap_or(6).min(64), n))
        }
        'e' | 'E' => {
            let n = num("e")?;
            let s = format!("{:.*e}", spec.prec.unwrap_or(6).min(64), n);
            sign(spec, n, go_exp(&s, verb == 'E'))
        }
        'g' | 'G' => {
            let n = num("g")?;
            let s = match spec.prec {
                Some(p) => {
                    let p = p.clamp(1, 64);
                    let exp = if n == 0.0 {
                        0
                    } else {
                        n.abs().log10().floor() as i64
                    };
                    if exp < -4 || exp >= p as i64 {
                        go_exp(&format!("{:.*e}", p - 1, n), verb == 'G')
                    } else {
                        let s = format!("{:.*}", (p as i64 - 1 - exp).max(0) as usize, n);
                        if s.contains('.') {
                            s.trim_end_matches('0').trim_end_matches('.').to_string()
                        } else {
                            s
                        }
                    }
                }
                None => {
                    let exp = if n == 0.0 {
                        0
                    } else {
                        n.abs().log10().floor() as i64
                    };
                    if !(-4..21).contains(&exp) {
                        go_exp(&format!("{n:e}"), verb == 'G')
                    } else {
                        format_number(n)
                    }
                }
            };
            sign(spec, n, s)
        }
        other => return Err(failed(format!("unsupported format verb %{other}"))),
    };
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, l, s};
    use crate::template::Value;

    #[test]
    fn format_verbs() {
        assert_eq!(
            call_ok("format", &[s("Hello, %s!"), s("Ander")]),
            s("Hello, Ander!")
        );
        assert_eq!(
            call_ok("format", &[s("There are %d lights"), Value::Number(4.0)]),
            s("There are 4 lights")
        );
        assert_eq!(
            call_ok("format", &[s("%.2f"), Value::Number(1.23456)]),
            s("1.23")
        );
        assert_eq!(
            call_ok(
                "format",
                &[
                    s("%5d|%-5d|%05d"),
                    Value::Number(42.0),
                    Value::Number(42.0),
                    Value::Number(-42.0)
                ]
            ),
            s("   42|42   |-0042")
        );
        assert_eq!(call_ok("format", &[s("%q"), s("a\"b")]), s("\"a\\\"b\""));
        assert_eq!(
            call_ok(
                "format",
                &[
                    s("%t %v %x"),
                    Value::Bool(true),
                    Value::Number(1.5),
                    Value::Number(255.0)
                ]
            ),
            s("true 1.5 ff")
        );
        assert_eq!(
            call_ok("format", &[s("%#v"), l(vec![s("a"), Value::Number(1.0)])]),
            s("[\"a\",1]")
        );
        assert_eq!(
            call_ok("format", &[s("%e"), Value::Number(1000.0)]),
            s("1.000000e+03")
        );
        assert_eq!(
            call_ok("format", &[s("%[2]s %[1]s"), s("a"), s("b")]),
            s("b a")
        );
        assert_eq!(call_ok("format", &[s("100%%")]), s("100%"));
        assert_eq!(call_ok("format", &[s("%.3s"), s("abcdef")]), s("abc"));
        assert!(super::super::call("format", &super::super::tests::ctx(), &[s("%s")]).is_err());
        assert!(
            super::super::call("format", &super::super::tests::ctx(), &[s("%d"), s("x")]).is_err()
        );
        assert!(
            super::super::call("format", &super::super::tests::ctx(), &[s("x"), s("x")]).is_err()
        );
    }

    #[test]
    fn formatlist_docs() {
        assert_eq!(
            call_ok(
                "formatlist",
                &[s("Hello, %s!"), l(vec![s("Valentina"), s("Ander")])]
            ),
            l(vec![s("Hello, Valentina!"), s("Hello, Ander!")])
        );
        assert_eq!(
            call_ok(
                "formatlist",
                &[s("%s, %s!"), s("Salutations"), l(vec![s("A"), s("B")])]
            ),
            l(vec![s("Salutations, A!"), s("Salutations, B!")])
        );
    }

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
        assert!(super::super::call(
            "substr",
            &super::super::tests::ctx(),
            &[s("hi"), Value::Number(-10.0), Value::Number(1.0)]
        )
        .is_err());
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
