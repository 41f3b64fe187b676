//! Shared test helpers and registry tests.

use std::collections::BTreeMap;
use std::path::Path;

use super::{call, lookup, names, FuncCtx, FuncError};
use crate::template::Value;

pub(crate) fn render(tpl: &str, vars: &Value) -> Result<Value, String> {
    // Minimal stand-in for the evaluator: substitutes ${name} from vars.
    let mut out = tpl.to_string();
    if let Some(m) = vars.as_map() {
        for (k, v) in m {
            out = out.replace(
                &format!("${{{k}}}"),
                &v.to_display_string().unwrap_or_default(),
            );
        }
    }
    Ok(Value::String(out))
}

pub fn ctx() -> FuncCtx<'static> {
    FuncCtx {
        base_dir: Path::new("."),
        render_template: &render,
        sandbox: None,
        aws_secrets: None,
    }
}

pub fn call_ok(name: &str, args: &[Value]) -> Value {
    match call(name, &ctx(), args) {
        Ok(v) => v,
        Err(e) => panic!("{name}({args:?}) failed: {e}"),
    }
}

pub fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

pub fn n(v: f64) -> Value {
    Value::Number(v)
}

pub fn l(v: Vec<Value>) -> Value {
    Value::List(v)
}

pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// Packer 1.16's function table (hcl2template/functions.go) plus the
/// type-conversion functions HCL adds.
const PACKER_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "aws_secretsmanager",
    "aws_secretsmanager_raw",
    "base64decode",
    "base64encode",
    "base64gzip",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "consul_key",
    "contains",
    "convert",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "env",
    "file",
    "filebase64",
    "fileexists",
    "fileset",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "legacy_isotime",
    "legacy_strftime",
    "length",
    "log",
    "lookup",
    "lower",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "parseint",
    "pathexpand",
    "pow",
    "range",
    "regex",
    "regex_replace",
    "regexall",
    "replace",
    "reverse",
    "rfc3339_parse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "unix_timestamp_parse",
    "upper",
    "urlencode",
    "uuidv4",
    "uuidv5",
    "values",
    "vault",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

#[test]
fn table_has_every_packer_function_sorted() {
    let all: Vec<&str> = names().collect();
    let mut sorted = all.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(all, sorted, "table must be sorted and unique");
    for name in PACKER_FUNCTIONS {
        assert!(lookup(name).is_some(), "missing {name}");
    }
    assert_eq!(all.len(), PACKER_FUNCTIONS.len());
}

#[test]
fn unknown_function_suggests() {
    match call("uper", &ctx(), &[s("x")]) {
        Err(FuncError::UnknownFunction { name, suggestion }) => {
            assert_eq!(name, "uper");
            assert_eq!(suggestion.as_deref(), Some("upper"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = call("jsonencod", &ctx(), &[]).unwrap_err();
    assert!(
        e.to_string().contains("Did you mean \"jsonencode\"?"),
        "{e}"
    );
    match call("zzzzzzzzzz", &ctx(), &[]) {
        Err(FuncError::UnknownFunction { suggestion, .. }) => assert_eq!(suggestion, None),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn arity_errors() {
    match call("upper", &ctx(), &[]) {
        Err(FuncError::Arity {
            name,
            expected,
            got,
        }) => {
            assert_eq!((name.as_str(), expected.as_str(), got), ("upper", "1", 0));
        }
        other => panic!("unexpected {other:?}"),
    }
    match call("lookup", &ctx(), &[s("a")]) {
        Err(FuncError::Arity { expected, got, .. }) => {
            assert_eq!((expected.as_str(), got), ("2 to 3", 1))
        }
        other => panic!("unexpected {other:?}"),
    }
    match call("max", &ctx(), &[]) {
        Err(FuncError::Arity { expected, .. }) => assert_eq!(expected, "at least 1"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn lazy_functions_are_marked() {
    assert!(lookup("try").is_some_and(|f| f.lazy));
    assert!(lookup("can").is_some_and(|f| f.lazy));
    assert!(lookup("upper").is_some_and(|f| !f.lazy));
    assert!(call("try", &ctx(), &[s("x")]).is_err());
}

#[test]
fn unknown_arguments_give_unknown() {
    assert_eq!(call_ok("upper", &[Value::Unknown]), Value::Unknown);
    assert_eq!(
        call_ok("join", &[s(","), l(vec![s("a"), Value::Unknown])]),
        Value::Unknown
    );
    assert_eq!(
        call_ok("length", &[l(vec![s("a"), Value::Unknown])]),
        n(2.0)
    );
    assert_eq!(call_ok("sensitive", &[Value::Unknown]), Value::Unknown);
    // Structural functions keep unknown elements instead of losing the
    // whole value, as cty does.
    let u = Value::Unknown;
    assert_eq!(
        call_ok("concat", &[l(vec![u.clone()]), l(vec![s("a")])]),
        l(vec![u.clone(), s("a")])
    );
    assert_eq!(
        call_ok("merge", &[obj(&[("a", u.clone())]), obj(&[("b", s("x"))])]),
        obj(&[("a", u.clone()), ("b", s("x"))])
    );
    assert_eq!(
        call_ok("keys", &[obj(&[("a", u.clone())])]),
        l(vec![s("a")])
    );
    assert_eq!(
        call_ok("element", &[l(vec![s("a"), u.clone()]), n(0.0)]),
        s("a")
    );
    assert_eq!(call_ok("element", &[l(vec![s("a")]), u.clone()]), u.clone());
    assert_eq!(
        call_ok("tolist", &[l(vec![u.clone(), n(1.0)])]),
        l(vec![u.clone(), n(1.0)])
    );
    assert_eq!(call_ok("toset", &[l(vec![u.clone(), n(1.0)])]), u.clone());
    assert_eq!(
        call_ok("zipmap", &[l(vec![u.clone()]), l(vec![n(1.0)])]),
        u.clone()
    );
    assert_eq!(call_ok("join", &[s(","), l(vec![u.clone()])]), u.clone());
    assert_eq!(call_ok("jsonencode", &[l(vec![u.clone()])]), u);
}

#[test]
fn no_panics_on_odd_inputs() {
    let odd = [
        Value::Null,
        Value::Unknown,
        Value::Bool(true),
        n(f64::NAN),
        n(f64::INFINITY),
        n(-1e300),
        n(1e300),
        n(-1.0),
        n(0.5),
        s(""),
        s("%"),
        s("/"),
        s("[("),
        s("10.0.0.0/8"),
        s("::/0"),
        l(vec![]),
        l(vec![Value::Null, l(vec![n(1.0)])]),
        obj(&[("a", Value::Null)]),
    ];
    let skip = [
        "vault",
        "consul_key",
        "aws_secretsmanager",
        "aws_secretsmanager_raw",
        "bcrypt",
    ];
    for name in names().filter(|n| !skip.contains(n)) {
        let Some(f) = lookup(name) else { continue };
        let max = f.max_args.unwrap_or(f.min_args + 2).min(3);
        for a in &odd {
            for b in &odd {
                let args: Vec<Value> = [a, b, a].iter().take(max).map(|v| (*v).clone()).collect();
                let _ = call(name, &ctx(), &args);
            }
        }
    }
}

/// Deterministic pseudo-random strings over a syntax-heavy alphabet, fed
/// to the parsers (format strings, regexes, YAML, CSV, JSON, CIDR, dates,
/// type expressions): none may panic.
#[test]
fn no_panics_on_generated_strings() {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '9', '-', '+', '.', ':', '/', '%', '[', ']', '{', '}', '(', ')', '\\', '"',
        '\'', ' ', '\n', '\t', '#', '&', '*', '!', '|', '>', '<', '?', ',', '=', 'Y', 'M', 'D',
        'h', 's', 'd', 'v', 'q', 'T', 'é', '💃', '^', '$', '~', '_', '@', '`', ';',
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let funcs: &[(&str, usize)] = &[
        ("format", 2),
        ("formatdate", 1),
        ("regex", 1),
        ("regexall", 1),
        ("regex_replace", 2),
        ("yamldecode", 1),
        ("csvdecode", 1),
        ("jsondecode", 1),
        ("cidrsubnet", 1),
        ("cidrhost", 1),
        ("parseint", 1),
        ("convert", 2),
        ("legacy_isotime", 1),
        ("legacy_strftime", 1),
        ("timeadd", 2),
        ("base64decode", 1),
        ("textdecodebase64", 1),
        ("urlencode", 1),
        ("title", 1),
        ("substr", 1),
        ("rsadecrypt", 2),
    ];
    for round in 0..3000 {
        let len = (next() % 24) as usize;
        let text: String = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        let (name, which) = funcs[round % funcs.len()];
        let args: Vec<Value> = match (name, which) {
            ("format", _) => vec![s(&text), n(1.5), s("x")],
            ("formatdate", _) => vec![s(&text), s("2018-01-02T23:12:01Z")],
            ("regex" | "regexall", _) => vec![s(&text), s("abc 123 é")],
            ("regex_replace", _) => vec![s("abc 123"), s(&text), s("$1")],
            ("cidrsubnet", _) => vec![s(&text), n(4.0), n(1.0)],
            ("cidrhost", _) => vec![s(&text), n(1.0)],
            ("parseint", _) => vec![s(&text), n(16.0)],
            ("convert", _) => vec![l(vec![n(1.0)]), s(&text)],
            ("timeadd", _) => vec![s("2018-01-02T23:12:01Z"), s(&text)],
            ("textdecodebase64", _) => vec![s(&text), s("UTF-16LE")],
            ("substr", _) => vec![s(&text), n(-3.0), n(2.0)],
            ("rsadecrypt", _) => vec![s("AAAA"), s(&text)],
            _ => vec![s(&text)],
        };
        let _ = call(name, &ctx(), &args);
    }
}
