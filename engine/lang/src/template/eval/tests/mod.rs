//! Evaluator tests. Inputs are parsed with `hcl_edit::parser::parse_expr`
//! and evaluated against [`scope`].

mod calls;
mod errors;
mod exprs;
mod fuzz;
mod nesting;
mod refs;
mod templates;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diag::{Diagnostic, SourceFile};
use crate::template::eval::{eval_expr, Scope};
use crate::template::Value;

pub(super) fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

pub(super) fn n(x: f64) -> Value {
    Value::Number(x)
}

pub(super) fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub(super) fn map(items: &[(&str, Value)]) -> Value {
    Value::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// `var`, `local` and an unknown `build` for the tests.
pub(super) fn scope() -> Scope {
    let mut sc = Scope::new(PathBuf::from("."));
    sc.set(
        "var",
        map(&[
            ("region", s("us-east-1")),
            ("count", n(3.0)),
            ("flag", Value::Bool(true)),
            ("nothing", Value::Null),
            ("names", list(vec![s("a"), s("b"), s("c")])),
            ("tags", map(&[("Name", s("web")), ("Env", s("prod"))])),
            (
                "servers",
                list(vec![
                    map(&[("name", s("s1")), ("port", n(80.0))]),
                    map(&[("name", s("s2")), ("port", n(443.0))]),
                ]),
            ),
        ]),
    );
    sc.set("local", map(&[("prefix", s("pk"))]));
    sc.set("build", Value::Unknown);
    sc
}

/// Evaluate `src`, failing the test on an error.
pub(super) fn eval(src: &str) -> Value {
    let expr = hcl_edit::parser::parse_expr(src).unwrap_or_else(|e| panic!("parse {src}: {e}"));
    let file = SourceFile::new("t.pkr.hcl", src);
    match eval_expr(&expr, &scope(), &file) {
        Ok(v) => v,
        Err(d) => panic!("eval {src}: {:?}", d),
    }
}

/// Evaluate `src`, expecting exactly one error diagnostic.
pub(super) fn eval_err(src: &str) -> Diagnostic {
    let expr = hcl_edit::parser::parse_expr(src).unwrap_or_else(|e| panic!("parse {src}: {e}"));
    let file = SourceFile::new("t.pkr.hcl", src);
    match eval_expr(&expr, &scope(), &file) {
        Ok(v) => panic!("eval {src}: expected an error, got {v}"),
        Err(d) => {
            assert_eq!(d.0.len(), 1, "{d:?}");
            d.0.into_iter()
                .next()
                .unwrap_or_else(|| Diagnostic::error("", ""))
        }
    }
}

/// The diagnostic's range as `(line, col)..(line, col)`.
pub(super) fn at(d: &Diagnostic) -> ((usize, usize), (usize, usize)) {
    let r = d.range.as_ref().expect("range");
    ((r.start.line, r.start.column), (r.end.line, r.end.column))
}
