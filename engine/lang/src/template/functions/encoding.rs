//! Encoding functions: base64, gzip, CSV, JSON, YAML, URL and text encodings.

use std::collections::BTreeMap;
use std::io::Write;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::helpers::{arg_err, failed, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::value::format_number;
use crate::template::Value;

pub fn base64encode(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(STANDARD.encode(str_arg(a, 0)?.as_bytes())))
}

pub(crate) fn decode_b64(s: &str, index: usize) -> Result<Vec<u8>, FuncError> {
    STANDARD
        .decode(s.trim())
        .map_err(|e| arg_err(index, format!("failed to decode base64 data: {e}")))
}

pub fn base64decode(_: &FuncCtx, a: &[Value]) -> R {
    let bytes = decode_b64(&str_arg(a, 0)?, 0)?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        arg_err(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}

pub fn base64gzip(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(s.as_bytes())
        .and_then(|_| enc.finish())
        .map(|bytes| string(STANDARD.encode(bytes)))
        .map_err(|e| failed(format!("failed to compress: {e}")))
}

pub fn urlencode(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(string(out))
}

/// JSON text as cty writes it: object keys sorted, numbers in plain
/// decimal notation (no exponent), HTML-significant characters escaped
/// like Go's encoding/json.
fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&format_number(*n)),
        Value::Number(_) => return Err("cannot encode an infinite number as JSON".into()),
        Value::String(s) => out.push_str(&json_string(s)),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(k));
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string())
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub fn jsonencode(_: &FuncCtx, a: &[Value]) -> R {
    let mut out = String::new();
    write_json(&a[0], &mut out).map_err(|e| arg_err(0, e))?;
    Ok(string(out))
}

pub fn jsondecode(_: &FuncCtx, a: &[Value]) -> R {
    let v: serde_json::Value = serde_json::from_str(&str_arg(a, 0)?)
        .map_err(|e| arg_err(0, format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&v))
}

pub fn csvdecode(_: &FuncCtx, a: &[Value]) -> R {
    let rows = parse_csv(&str_arg(a, 0)?).map_err(|e| arg_err(0, e))?;
    let mut it = rows.into_iter();
    let Some(header) = it.next() else {
        return Err(arg_err(0, "missing header line"));
    };
    let mut out = Vec::new();
    for (n, row) in it.enumerate() {
        if row.len() != header.len() {
            return Err(arg_err(
                0,
                format!(
                    "record on line {} has {} fields, but the header has {}",
                    n + 2,
                    row.len(),
                    header.len()
                ),
            ));
        }
        let obj: BTreeMap<String, Value> = header
            .iter()
            .cloned()
            .zip(row.into_iter().map(Value::String))
            .collect();
        out.push(Value::Map(obj));
    }
    Ok(Value::List(out))
}

/// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends;
/// empty lines are skipped.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut line = 1;
    let mut row_has_content = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    if !matches!(chars.peek(), None | Some(',' | '\r' | '\n')) {
                        return Err(format!(
                            "extraneous or missing \" in quoted-field on line {line}"
                        ));
                    }
                }
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                row_has_content = true;
            }
            '"' => return Err(format!("bare \" in non-quoted field on line {line}")),
            ',' => {
                row.push(std::mem::take(&mut field));
                row_has_content = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                if row_has_content || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                row_has_content = false;
            }
            _ => {
                field.push(c);
                row_has_content = true;
            }
        }
    }
    if in_quotes {
        return Err(format!(
            "extraneous or missing \" in quoted field on line {line}"
        ));
    }
    if row_has_content || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, obj, s};
    use crate::template::functions::call;
    use crate::template::Value;

    #[test]
    fn base64_family() {
        assert_eq!(
            call_ok("base64encode", &[s("Hello World")]),
            s("SGVsbG8gV29ybGQ=")
        );
        assert_eq!(
            call_ok("base64decode", &[s("SGVsbG8gV29ybGQ=")]),
            s("Hello World")
        );
        assert!(call("base64decode", &ctx(), &[s("!!!")]).is_err());
        assert!(call("base64decode", &ctx(), &[s("/w==")]).is_err());
        let gz = call_ok("base64gzip", &[s("test")]);
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            gz.as_str().unwrap_or(""),
        )
        .unwrap_or_default();
        let mut d = flate2::read::GzDecoder::new(&bytes[..]);
        let mut out = String::new();
        std::io::Read::read_to_string(&mut d, &mut out).ok();
        assert_eq!(out, "test");
    }

    #[test]
    fn url_json_csv() {
        assert_eq!(
            call_ok("urlencode", &[s("Hello World!")]),
            s("Hello+World%21")
        );
        assert_eq!(
            call_ok("urlencode", &[s("foo:bar@localhost?foo=bar&bar=baz")]),
            s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")
        );
        assert_eq!(
            call_ok("jsonencode", &[obj(&[("hello", s("world"))])]),
            s("{\"hello\":\"world\"}")
        );
        assert_eq!(call_ok("jsonencode", &[s("<b>")]), s("\"\\u003cb\\u003e\""));
        assert_eq!(
            call_ok(
                "jsonencode",
                &[obj(&[
                    ("b", l(vec![n(1e21), n(0.1), Value::Null])),
                    ("a", Value::Bool(true))
                ])]
            ),
            s("{\"a\":true,\"b\":[1000000000000000000000,0.1,null]}")
        );
        assert_eq!(call_ok("jsonencode", &[n(-0.000001)]), s("-0.000001"));
        assert_eq!(
            call_ok("jsondecode", &[s("{\"hello\": \"world\"}")]),
            obj(&[("hello", s("world"))])
        );
        assert_eq!(call_ok("jsondecode", &[s("true")]), Value::Bool(true));
        assert!(call("jsondecode", &ctx(), &[s("{")]).is_err());
        assert_eq!(
            call_ok("csvdecode", &[s("a,b,c\n1,2,3\n4,5,6")]),
            l(vec![
                obj(&[("a", s("1")), ("b", s("2")), ("c", s("3"))]),
                obj(&[("a", s("4")), ("b", s("5")), ("c", s("6"))])
            ])
        );
        assert_eq!(
            call_ok("csvdecode", &[s("a,b\n\"x,\"\"y\",z\r\n")]),
            l(vec![obj(&[("a", s("x,\"y")), ("b", s("z"))])])
        );
        assert!(call("csvdecode", &ctx(), &[s("a,b\n1")]).is_err());
    }
}
