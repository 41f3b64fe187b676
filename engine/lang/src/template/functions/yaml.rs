//! `yamldecode` and `yamlencode`.
//!
//! The encoder follows go-cty-yaml (a go-yaml v2 emitter): keys and strings
//! are double-quoted (long ones folded after column 80), strings with line
//! breaks use literal block style when YAML allows it, sequences inside
//! mappings are not indented, and a plain scalar document ends with `...`.

use std::collections::BTreeMap;

use super::helpers::{arg_err, str_arg, string, R};
use super::FuncCtx;
use crate::template::value::format_number;
use crate::template::Value;

pub fn yamldecode(_: &FuncCtx, a: &[Value]) -> R {
    let text = str_arg(a, 0)?;
    super::yamldecode::decode(&text).map_err(|e| arg_err(0, format!("invalid YAML: {e}")))
}

const BEST_WIDTH: usize = 80;

fn printable(c: char) -> bool {
    c == '\n'
        || ('\x20'..='\x7e').contains(&c)
        || ('\u{a0}'..='\u{d7ff}').contains(&c)
        || (('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}')
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn escape(c: char) -> String {
    match c {
        '\0' => "\\0".into(),
        '\x07' => "\\a".into(),
        '\x08' => "\\b".into(),
        '\t' => "\\t".into(),
        '\n' => "\\n".into(),
        '\x0b' => "\\v".into(),
        '\x0c' => "\\f".into(),
        '\r' => "\\r".into(),
        '\x1b' => "\\e".into(),
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        '\u{85}' => "\\N".into(),
        '\u{2028}' => "\\L".into(),
        '\u{2029}' => "\\P".into(),
        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
        c => format!("\\U{:08X}", c as u32),
    }
}

/// Whether go-yaml may write `s` as a literal block scalar.
fn literal_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let special = chars.iter().any(|c| !printable(*c));
    let space_break = chars.windows(2).any(|w| w[0] == ' ' && is_break(w[1]));
    let trailing_space = chars.last() == Some(&' ');
    !(special || space_break || trailing_space)
}

struct Emitter {
    out: String,
    col: usize,
    open_ended: bool,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.col = 0;
            } else {
                self.col += 1;
            }
        }
        self.out.push_str(s);
    }

    fn pad_to(&mut self, col: usize) {
        if self.col == 0 {
            self.write(&" ".repeat(col));
        }
    }

    fn end_line(&mut self) {
        if self.col != 0 {
            self.write("\n");
        }
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write("\"");
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.write(&escape(c));
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.col > BEST_WIDTH && i > 0 && i + 1 < chars.len()
                {
                    self.write("\n");
                    self.write(&" ".repeat(indent));
                    if chars[i + 1] == ' ' {
                        self.write("\\");
                    }
                } else {
                    self.write(" ");
                }
                spaces = true;
            } else {
                let mut buf = [0u8; 4];
                self.write(c.encode_utf8(&mut buf));
                spaces = false;
            }
        }
        self.write("\"");
    }

    fn literal(&mut self, s: &str, indent: usize) {
        let chars: Vec<char> = s.chars().collect();
        let mut header = String::from("|");
        if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
            header.push('2');
        }
        let n = chars.len();
        let keep = n > 0 && is_break(chars[n - 1]) && (n == 1 || is_break(chars[n - 2]));
        if n == 0 || !is_break(chars[n - 1]) {
            header.push('-');
        } else if keep {
            header.push('+');
        }
        self.open_ended = keep;
        self.write(&header);
        self.write("\n");
        let mut at_line_start = true;
        for &c in &chars {
            if is_break(c) {
                self.write("\n");
                at_line_start = true;
            } else {
                if at_line_start {
                    self.write(&" ".repeat(indent));
                    at_line_start = false;
                }
                let mut buf = [0u8; 4];
                self.write(c.encode_utf8(&mut buf));
            }
        }
    }

    /// A scalar or empty collection at the current position; `indent` is
    /// the indentation of continuation lines. Returns false for non-empty
    /// collections.
    fn scalar(&mut self, v: &Value, indent: usize, root: bool) -> bool {
        match v {
            Value::String(s) if s.contains('\n') && literal_allowed(s) => self.literal(s, indent),
            Value::String(s) => self.double_quoted(s, indent, true),
            Value::List(l) if l.is_empty() => self.write("[]"),
            Value::Map(m) if m.is_empty() => self.write("{}"),
            Value::List(_) | Value::Map(_) => return false,
            other => {
                let text = match other {
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => format_number(*n),
                    _ => "null".to_string(),
                };
                self.write(&text);
                if root {
                    self.open_ended = true;
                }
            }
        }
        true
    }

    fn map(&mut self, m: &BTreeMap<String, Value>, col: usize) {
        for (k, v) in m {
            self.pad_to(col);
            self.double_quoted(k, col + 2, false);
            self.write(":");
            if is_scalar(v) {
                self.write(" ");
                self.scalar(v, col + 2, false);
                self.end_line();
            } else {
                self.write("\n");
                match v {
                    Value::Map(inner) => self.map(inner, col + 2),
                    Value::List(items) => self.seq(items, col),
                    _ => {}
                }
            }
        }
    }

    fn seq(&mut self, items: &[Value], col: usize) {
        for item in items {
            self.pad_to(col);
            self.write("- ");
            match item {
                Value::Map(inner) if !inner.is_empty() => self.map(inner, col + 2),
                Value::List(inner) if !inner.is_empty() => self.seq(inner, col + 2),
                scalar => {
                    self.scalar(scalar, col + 2, false);
                    self.end_line();
                }
            }
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    match v {
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => true,
    }
}

/// Serialize `v` the way go-cty-yaml's `yamlencode` does.
pub fn to_yaml(v: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        col: 0,
        open_ended: false,
    };
    match v {
        Value::Map(m) if !m.is_empty() => e.map(m, 0),
        Value::List(l) if !l.is_empty() => e.seq(l, 0),
        other => {
            e.scalar(other, 2, true);
            e.end_line();
        }
    }
    if e.open_ended {
        e.write("...\n");
    }
    e.out
}

pub fn yamlencode(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(to_yaml(&a[0])))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, obj, s};
    use super::to_yaml;
    use crate::template::functions::call;
    use crate::template::Value;

    #[test]
    fn yaml() {
        assert_eq!(
            call_ok("yamldecode", &[s("hello: world\nlist: [1, true, null]\n")]),
            obj(&[
                ("hello", s("world")),
                ("list", l(vec![n(1.0), Value::Bool(true), Value::Null]))
            ])
        );
        assert!(call("yamldecode", &ctx(), &[s("a: [")]).is_err());
        assert_eq!(
            call_ok("yamlencode", &[obj(&[("a", s("b")), ("c", s("d"))])]),
            s("\"a\": \"b\"\n\"c\": \"d\"\n")
        );
        assert_eq!(
            call_ok(
                "yamlencode",
                &[obj(&[
                    ("foo", l(vec![n(1.0), n(2.0), n(3.0)])),
                    ("bar", s("baz"))
                ])]
            ),
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n")
        );
        assert_eq!(
            call_ok(
                "yamlencode",
                &[obj(&[
                    (
                        "foo",
                        l(vec![n(1.0), obj(&[("a", s("b")), ("c", s("d"))]), n(3.0)])
                    ),
                    ("bar", s("baz"))
                ])]
            ),
            s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n")
        );
        let round = call_ok(
            "yamldecode",
            &[call_ok(
                "yamlencode",
                &[obj(&[("x", obj(&[("y", l(vec![s("z")]))]))])],
            )],
        );
        assert_eq!(round, obj(&[("x", obj(&[("y", l(vec![s("z")]))]))]));
    }

    #[test]
    fn go_cty_yaml_cases() {
        assert_eq!(to_yaml(&Value::Bool(true)), "true\n...\n");
        assert_eq!(to_yaml(&s("")), "\"\"\n");
        assert_eq!(to_yaml(&s("hello")), "\"hello\"\n");
        assert_eq!(to_yaml(&n(0.0)), "0\n...\n");
        assert_eq!(to_yaml(&Value::Null), "null\n...\n");
        assert_eq!(to_yaml(&obj(&[])), "{}\n");
        assert_eq!(to_yaml(&l(vec![])), "[]\n");
        assert_eq!(to_yaml(&l(vec![s("b")])), "- \"b\"\n");
        assert_eq!(to_yaml(&obj(&[("a", l(vec![]))])), "\"a\": []\n");
        assert_eq!(
            to_yaml(&l(vec![
                l(vec![n(1.0), n(2.0)]),
                obj(&[("x", obj(&[("y", n(1.0))]))])
            ])),
            "- - 1\n  - 2\n- \"x\":\n    \"y\": 1\n"
        );
    }

    #[test]
    fn strings_like_go_yaml() {
        assert_eq!(to_yaml(&obj(&[("a", s("x\ny\n"))])), "\"a\": |\n  x\n  y\n");
        assert_eq!(
            to_yaml(&obj(&[("a", s("x\n\ny"))])),
            "\"a\": |-\n  x\n\n  y\n"
        );
        assert_eq!(
            to_yaml(&obj(&[("a", s("x\n\n"))])),
            "\"a\": |+\n  x\n\n...\n"
        );
        assert_eq!(to_yaml(&s("a\nb")), "|-\n  a\n  b\n");
        assert_eq!(
            to_yaml(&obj(&[("a", s(" x\ny"))])),
            "\"a\": |2-\n   x\n  y\n"
        );
        // Not representable as a block: tab, trailing space before a break.
        assert_eq!(
            to_yaml(&obj(&[("a", s("x\ty\nz"))])),
            "\"a\": \"x\\ty\\nz\"\n"
        );
        assert_eq!(to_yaml(&obj(&[("a", s("x \ny"))])), "\"a\": \"x \\ny\"\n");
        assert_eq!(to_yaml(&s("😀")), "\"\\U0001F600\"\n");
        assert_eq!(to_yaml(&s("é\u{85}")), "\"é\\N\"\n");
        // Long strings fold after column 80, continuation indented.
        let long = "mkdir -p /app/storage/database /app/storage/framework/cache/data /app/storage/framework/sessions /app/storage/framework/views";
        assert_eq!(
            to_yaml(&obj(&[("command", s(long))])),
            "\"command\": \"mkdir -p /app/storage/database /app/storage/framework/cache/data /app/storage/framework/sessions\n  /app/storage/framework/views\"\n"
        );
        let decoded = call_ok(
            "yamldecode",
            &[call_ok("yamlencode", &[obj(&[("command", s(long))])])],
        );
        assert_eq!(decoded, obj(&[("command", s(long))]));
        let tricky = "a  b".repeat(40);
        let round = call_ok("yamldecode", &[call_ok("yamlencode", &[s(&tricky)])]);
        assert_eq!(round, s(&tricky));
        let _ = ctx();
        let _ = call("yamlencode", &ctx(), &[Value::Null]);
    }
}
