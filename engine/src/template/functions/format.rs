//! `format` and `formatlist` (cty's printf-style formatting).

use super::helpers::{arg_err, failed, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::value::format_number;
use crate::template::Value;

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
}
