//! `format` and `formatlist` (cty's printf-style formatting).

use super::helpers::{arg_err, failed, graphemes, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::value::format_number;
use crate::template::Value;

pub fn format(_: &FuncCtx, a: &[Value]) -> R {
    let fmt = str_arg(a, 0)?;
    Ok(string(format_values(&fmt, &a[1..], 1)?))
}

pub fn formatlist(_: &FuncCtx, a: &[Value]) -> R {
    let fmt = str_arg(a, 0)?;
    let mut n: Option<(usize, usize)> = None;
    for (i, v) in a.iter().enumerate().skip(1) {
        if let Value::List(l) = v {
            match n {
                Some((len, first)) if len != l.len() => {
                    return Err(arg_err(
                        i,
                        format!(
                            "argument {i} has length {}, which is inconsistent with argument {first} of length {len}",
                            l.len()
                        ),
                    ))
                }
                Some(_) => {}
                None => n = Some((l.len(), i)),
            }
        }
    }
    let count = n.map_or(1, |(len, _)| len);
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
    // (byte offset, char) pairs so errors can name offsets like cty does.
    let chars: Vec<(usize, char)> = fmt.char_indices().collect();
    let offset_of = |i: usize| chars.get(i).map_or(fmt.len(), |(o, _)| *o);
    let plain: Vec<char> = chars.iter().map(|(_, c)| *c).collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next = 0usize;
    let mut max_used = 0usize;
    let mut verbs = 0usize;
    while i < plain.len() {
        let c = plain[i];
        let start = i;
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        if i < plain.len() && plain[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        let unrecognized = |at: usize| {
            let ch = plain.get(at).copied().unwrap_or('%');
            failed(format!(
                "unrecognized format character '{ch}' at offset {}",
                offset_of(at)
            ))
        };
        let mut spec = Spec::default();
        while i < plain.len() {
            match plain[i] {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        if i < plain.len() && plain[i] == '[' {
            i += 1;
            let digits_at = i;
            let n = read_num(&plain, &mut i);
            match n {
                Some(n) if n > 0 && plain.get(i) == Some(&']') => next = n - 1,
                _ => return Err(unrecognized(digits_at)),
            }
            i += 1;
        }
        spec.width = read_num(&plain, &mut i);
        if i < plain.len() && plain[i] == '.' {
            i += 1;
            spec.prec = Some(read_num(&plain, &mut i).unwrap_or(0));
        }
        let Some(&verb) = plain.get(i) else {
            return Err(failed(format!(
                "invalid format string starting at offset {}",
                offset_of(start)
            )));
        };
        if !verb.is_ascii_alphabetic() {
            return Err(unrecognized(i));
        }
        i += 1;
        verbs += 1;
        let text: String = plain[start..i].iter().collect();
        if !"vtsqdboxXeEfFgG".contains(verb) {
            return Err(failed(format!(
                "unsupported format verb '{verb}' in \"{text}\" at offset {}",
                offset_of(start)
            )));
        }
        let Some(arg) = args.get(next) else {
            return Err(failed(format!(
                "not enough arguments for \"{text}\" at {}: need index {} but have {} total",
                offset_of(start),
                next + 1,
                args.len()
            )));
        };
        let index = base + next;
        next += 1;
        max_used = max_used.max(next);
        let body = format_one(&spec, verb, arg, index).map_err(|e| match e {
            FuncError::Argument { index, message } => FuncError::Argument {
                index,
                message: format!("{message} (in \"{text}\" at offset {})", offset_of(start)),
            },
            other => other,
        })?;
        let numeric = matches!(
            verb,
            'd' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'b' | 'o' | 'x' | 'X'
        );
        out.push_str(&pad(&spec, body, numeric));
    }
    if verbs == 0 && !args.is_empty() {
        return Err(failed("too many arguments; no verbs in format string"));
    }
    if max_used < args.len() {
        return Err(failed(format!(
            "too many arguments; only {max_used} used by format string"
        )));
    }
    Ok(out)
}

fn pad(spec: &Spec, body: String, numeric: bool) -> String {
    let len = graphemes(&body).len();
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
                Some(p) => graphemes(&s).into_iter().take(p).collect(),
                None => s,
            }
        }
        'q' => {
            let s = text('q')?;
            let s: String = match spec.prec {
                Some(p) => graphemes(&s).into_iter().take(p).collect(),
                None => s,
            };
            serde_json::Value::String(s).to_string()
        }
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
    fn cty_cases() {
        use super::format_values;
        let ok =
            |f: &str, args: &[Value]| format_values(f, args, 1).unwrap_or_else(|e| e.to_string());
        let err = |f: &str, args: &[Value]| match format_values(f, args, 1) {
            Ok(v) => format!("unexpected success {v}"),
            Err(e) => e.to_string(),
        };
        let n = Value::Number;
        assert_eq!(ok("string %#v", &[s("hello")]), "string \"hello\"");
        assert_eq!(
            ok("object %v", &[Value::Map(Default::default())]),
            "object {}"
        );
        assert_eq!(ok("%%%v", &[Value::Bool(false)]), "%false");
        assert_eq!(ok("%v", &[Value::Null]), "null");
        assert_eq!(ok("%-10s|", &[s("hello")]), "hello     |");
        assert_eq!(ok("%.2q", &[s("hello")]), "\"he\"");
        assert_eq!(ok("%6.2q", &[s("hello")]), "  \"he\"");
        assert_eq!(ok("%.5s", &[s("日本語日本語")]), "日本語日本");
        assert_eq!(ok("% d", &[n(10.0)]), " 10");
        assert_eq!(ok("%b %o %X", &[n(5.0), n(9.0), n(254.0)]), "101 11 FE");
        assert_eq!(ok("%+f", &[n(10.0)]), "+10.000000");
        assert_eq!(ok("% f", &[n(-10.0)]), "-10.000000");
        assert_eq!(ok("%.1f", &[s("1.06")]), "1.1");
        assert_eq!(
            ok(
                "%E %g %G",
                &[n(1000.0), n(1000.0), s("0.00000000000000000000001")]
            ),
            "1.000000E+03 1000 1E-23"
        );
        assert_eq!(
            err("%s is not in the args list", &[]),
            "not enough arguments for \"%s\" at 0: need index 1 but have 0 total"
        );
        assert_eq!(
            err("%v %v %v", &[Value::Bool(true), Value::Bool(true)]),
            "not enough arguments for \"%v\" at 6: need index 3 but have 2 total"
        );
        assert_eq!(
            err("%[0]s is not valid", &[Value::Bool(true)]),
            "unrecognized format character '0' at offset 2"
        );
        assert_eq!(
            err("%012z x", &[n(10.0)]),
            "unsupported format verb 'z' in \"%012z\" at offset 0"
        );
        assert_eq!(
            err("%☠ x", &[n(10.0)]),
            "unrecognized format character '☠' at offset 1"
        );
        assert_eq!(
            err("no verbs", &[n(10.0)]),
            "too many arguments; no verbs in format string"
        );
        assert_eq!(
            err("one %d", &[n(10.0), n(11.0)]),
            "too many arguments; only 1 used by format string"
        );
        assert!(err("%d", &[Value::Bool(true)]).contains("number"));
        assert!(err("%s", &[Value::Null]).contains("null value cannot be formatted"));
        let e = super::super::call(
            "formatlist",
            &super::super::tests::ctx(),
            &[s("%s %s"), l(vec![s("a"), s("b")]), l(vec![s("c")])],
        );
        assert!(e.is_err_and(|e| e.to_string().contains(
            "argument 2 has length 1, which is inconsistent with argument 1 of length 2"
        )));
    }
}
