//! Finding a variable's value in a Terraform file with hcl-edit: the
//! attribute of a `*.tfvars` file, or the `default` of a
//! `variable "NAME" {}` block in a `*.tf` file. Only byte spans come out:
//! edits splice new string literals into the original text, so every other
//! byte (comments, alignment, line endings, heredocs) stays as it was.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Body;
use hcl_edit::Span;

/// A file that does not parse, with hcl-edit's 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses a Terraform file's body.
pub(crate) fn parse(text: &str) -> Result<Body, SyntaxError> {
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let msg = e.message().trim();
        SyntaxError {
            line: e.location().line(),
            column: e.location().column(),
            message: if msg.is_empty() {
                "invalid HCL syntax".to_string()
            } else {
                format!("invalid HCL syntax: {msg}")
            },
        }
    })
}

/// A value kiln bump can rewrite, or the place of one it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A string literal: its span (quotes included) and decoded text.
    String { span: Range<usize>, text: String },
    /// An object; keys that are identifiers or string literals.
    Map {
        span: Range<usize>,
        entries: Vec<(String, Value)>,
    },
    /// Anything else (a reference, a template, a number, …).
    Other { span: Range<usize> },
}

impl Value {
    pub(crate) fn start(&self) -> usize {
        match self {
            Value::String { span, .. } | Value::Map { span, .. } | Value::Other { span } => {
                span.start
            }
        }
    }
}

/// Where a variable is set in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    pub value: Value,
}

/// The values `name` is set to in a file: top-level attributes of a
/// `*.tfvars` file, `default`s of `variable "name"` blocks in a `*.tf` file.
/// A `variable` block without a default sets nothing.
pub(crate) fn find(body: &Body, path: &str, name: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    if path.ends_with(".tfvars") {
        if let Some(attr) = body.get_attribute(name) {
            out.push(Setting {
                value: value_of(&attr.value),
            });
        }
    } else {
        for block in body.get_blocks("variable") {
            let [label] = block.labels.as_slice() else {
                continue;
            };
            if label.as_str() != name {
                continue;
            }
            if let Some(attr) = block.body.get_attribute("default") {
                out.push(Setting {
                    value: value_of(&attr.value),
                });
            }
        }
    }
    out
}

fn value_of(expr: &Expression) -> Value {
    let span = expr.span().unwrap_or(0..0);
    match expr {
        Expression::String(s) => Value::String {
            span,
            text: s.value().clone(),
        },
        Expression::Object(obj) => {
            let entries = obj
                .iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => return None,
                    };
                    let value = match v.expr() {
                        e @ Expression::String(_) => value_of(e),
                        e => Value::Other {
                            span: e.span().unwrap_or(0..0),
                        },
                    };
                    Some((key, value))
                })
                .collect();
            Value::Map { span, entries }
        }
        _ => Value::Other { span },
    }
}

/// `s` as an HCL quoted string literal (template sequences escaped).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_in(text: &str, path: &str, name: &str) -> Vec<Value> {
        let body = parse(text).unwrap();
        find(&body, path, name)
            .into_iter()
            .map(|s| s.value)
            .collect()
    }

    #[test]
    fn string_spans_include_the_quotes() {
        let text = "a = 1\nami_id   = \"ami-1\" # c\n";
        let v = find_in(text, "x.tfvars", "ami_id");
        let [Value::String { span, text: t }] = v.as_slice() else {
            panic!("{v:?}")
        };
        assert_eq!((&text[span.clone()], t.as_str()), ("\"ami-1\"", "ami-1"));
    }

    #[test]
    fn variable_defaults_and_maps() {
        let text = "variable \"amis\" {\n  type = map(string)\n  default = {\n    us-east-1 = \"ami-1\"\n    \"eu-west-1\": \"ami-2\",\n    x = var.y\n  }\n}\nvariable \"other\" {}\n";
        let v = find_in(text, "v.tf", "amis");
        let [Value::Map { entries, .. }] = v.as_slice() else {
            panic!("{v:?}")
        };
        let keys: Vec<_> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["us-east-1", "eu-west-1", "x"]);
        assert!(matches!(entries[2].1, Value::Other { .. }));
        assert!(find_in(text, "v.tf", "other").is_empty());
        // A tfvars attribute named like the block is not a .tf setting.
        assert!(find_in("amis = \"a\"\n", "v.tf", "amis").is_empty());
    }

    #[test]
    fn templates_and_references_are_other() {
        for src in ["v = \"ami-${x}\"\n", "v = var.x\n", "v = <<EOT\nami\nEOT\n"] {
            let v = find_in(src, "a.tfvars", "v");
            assert!(
                matches!(v.as_slice(), [Value::Other { .. }]),
                "{src}: {v:?}"
            );
        }
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("a = 1\nb = {\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1), "{e:?}");
        assert!(e.message.starts_with("invalid HCL syntax"), "{e:?}");
    }

    #[test]
    fn quoting_round_trips_through_the_parser() {
        for s in ["ami-0abc", "a\"b\\c", "${x} %{y} $ %", "tab\tnl\n"] {
            let text = format!("v = {}\n", quote(s));
            let v = find_in(&text, "a.tfvars", "v");
            assert_eq!(
                v,
                vec![Value::String {
                    span: 4..text.len() - 1,
                    text: s.to_string()
                }],
                "{text}"
            );
        }
    }
}
