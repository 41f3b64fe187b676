//! Type constraint parsing, printing and conversion.

use std::collections::BTreeMap;

use super::*;

fn ty(src: &str) -> Type {
    parse_type_str(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn map(items: &[(&str, Value)]) -> Value {
    Value::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

#[test]
fn parse_and_display_round_trip() {
    for src in [
        "string",
        "number",
        "bool",
        "any",
        "list(string)",
        "map(list(number))",
        "set(bool)",
        "tuple([string,number])",
        "object({a=string,b=optional(number)})",
        "object({a=optional(list(string), [\"x\"]),b=optional(number, 5)})",
        "list(object({name=string,tags=map(string)}))",
    ] {
        assert_eq!(ty(src).to_string(), src);
        assert_eq!(ty(&ty(src).to_string()), ty(src));
    }
    assert_eq!(
        ty("object({ \"a\" = string, b = number })").to_string(),
        "object({a=string,b=number})"
    );
    assert_eq!(
        ty("object({\"a b\" = string})").to_string(),
        "object({\"a b\"=string})"
    );
    assert_eq!(
        ty("object({\"a b\" = string})"),
        ty("object({\"a b\"=string})")
    );
    assert_eq!(ty("list(string)").friendly_name(), "list of string");
    assert!(ty("map(any)").has_any());
}

#[test]
fn type_expression_errors() {
    let cases = [
        ("strin", "The keyword \"strin\" is not a valid type specification."),
        ("list", "The list type constructor requires one argument specifying the element type."),
        ("string(1)", "Primitive type keyword \"string\" does not expect arguments."),
        ("lst(string)", "Keyword \"lst\" is not a valid type constructor."),
        ("list(string, number)", "The list type constructor requires one argument specifying the element type."),
        ("object([string])", "Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types."),
        ("tuple(string)", "Tuple type constructor requires a list of element types."),
        ("optional(string)", "Keyword \"optional\" is valid only as a modifier for object type attributes."),
        ("list(optional(string))", "Keyword \"optional\" is valid only as a modifier for object type attributes."),
        ("\"string\"", "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string)."),
        ("object({a = optional(number, \"x\")})", "This default value is not compatible with the attribute's type constraint: a number is required."),
    ];
    for (src, msg) in cases {
        let e = parse_type_str(src).expect_err(src);
        assert_eq!(e.message, msg, "{src}");
    }
    // errors carry the span of the offending part
    let e = parse_type_str("map(strin)").expect_err("bad");
    assert_eq!(e.span, Some(4..9));
}

#[test]
fn primitive_conversions() {
    assert_eq!(convert(&Value::Number(5.0), &Type::String), Ok(s("5")));
    assert_eq!(convert(&Value::Number(1.25), &Type::String), Ok(s("1.25")));
    assert_eq!(convert(&Value::Bool(true), &Type::String), Ok(s("true")));
    assert_eq!(convert(&s("42"), &Type::Number), Ok(Value::Number(42.0)));
    assert_eq!(
        convert(&s("-1e2"), &Type::Number),
        Ok(Value::Number(-100.0))
    );
    assert_eq!(convert(&s("true"), &Type::Bool), Ok(Value::Bool(true)));
    assert_eq!(convert(&s("0"), &Type::Bool), Ok(Value::Bool(false)));
    assert_eq!(
        convert(&s("abc"), &Type::Number).map_err(|e| e.to_string()),
        Err("a number is required".into())
    );
    assert_eq!(
        convert(&s("inf"), &Type::Number).map_err(|e| e.to_string()),
        Err("a number is required".into())
    );
    assert_eq!(
        convert(&s("True"), &Type::Bool).map_err(|e| e.to_string()),
        Err("a bool is required; to convert from string, use lowercase \"true\"".into())
    );
    assert_eq!(
        convert(&Value::Number(1.0), &Type::Bool).map_err(|e| e.to_string()),
        Err("bool required".into())
    );
    assert_eq!(
        convert(&Value::List(vec![]), &Type::String).map_err(|e| e.to_string()),
        Err("string required".into())
    );
    // null and unknown conform to every type
    assert_eq!(convert(&Value::Null, &ty("list(string)")), Ok(Value::Null));
    assert_eq!(convert(&Value::Unknown, &Type::Number), Ok(Value::Unknown));
    assert_eq!(
        convert(&map(&[("a", Value::Null)]), &Type::Any),
        Ok(map(&[("a", Value::Null)]))
    );
}

#[test]
fn collection_conversions() {
    let tuple = Value::List(vec![Value::Number(2.0), s("b"), Value::Number(2.0), s("a")]);
    assert_eq!(
        convert(&tuple, &ty("list(string)")),
        Ok(Value::List(vec![s("2"), s("b"), s("2"), s("a")]))
    );
    // sets drop duplicates and are ordered
    assert_eq!(
        convert(&tuple, &ty("set(string)")),
        Ok(Value::List(vec![s("2"), s("a"), s("b")]))
    );
    let nums = Value::List(vec![
        Value::Number(10.0),
        Value::Number(-1.0),
        Value::Number(2.5),
        Value::Number(10.0),
    ]);
    assert_eq!(
        convert(&nums, &ty("set(number)")),
        Ok(Value::List(vec![
            Value::Number(-1.0),
            Value::Number(2.5),
            Value::Number(10.0)
        ]))
    );
    assert_eq!(
        convert(&map(&[("x", Value::Number(1.0))]), &ty("map(string)")),
        Ok(map(&[("x", s("1"))]))
    );
    assert_eq!(
        convert(
            &Value::List(vec![s("1"), s("x")]),
            &ty("tuple([number, string])")
        ),
        Ok(Value::List(vec![Value::Number(1.0), s("x")]))
    );
    // collections of `any` unify mixed primitives to string
    let mixed = Value::List(vec![
        Value::Number(1.0),
        s("a"),
        Value::Bool(true),
        Value::Null,
    ]);
    assert_eq!(
        convert(&mixed, &ty("list(any)")),
        Ok(Value::List(vec![s("1"), s("a"), s("true"), Value::Null]))
    );
    assert_eq!(
        convert(
            &map(&[("a", Value::Number(1.0)), ("b", s("x"))]),
            &ty("map(any)")
        ),
        Ok(map(&[("a", s("1")), ("b", s("x"))]))
    );
    let same = Value::List(vec![Value::Number(1.0), Value::Number(2.0)]);
    assert_eq!(convert(&same, &ty("list(any)")), Ok(same.clone()));
    let err = |v: &Value, t: &str| convert(v, &ty(t)).map_err(|e| e.to_string());
    assert_eq!(
        err(&s("x"), "list(string)"),
        Err("list of string required".into())
    );
    assert_eq!(
        err(&Value::List(vec![]), "map(number)"),
        Err("map of number required".into())
    );
    assert_eq!(
        err(&Value::List(vec![s("a")]), "list(number)"),
        Err("element 0: a number is required".into())
    );
    assert_eq!(
        err(&map(&[("k", s("a"))]), "map(bool)"),
        Err("element \"k\": a bool is required".into())
    );
    assert_eq!(
        err(&Value::List(vec![s("a")]), "tuple([string, string])"),
        Err("tuple required with exactly 2 elements".into())
    );
    assert_eq!(err(&s("a"), "object({})"), Err("object required".into()));
}

#[test]
fn objects_with_optional_attributes() {
    let t = ty("object({name = string, port = optional(number, 22), tags = optional(map(string)), inner = optional(object({x = optional(bool, true)}), {})})");
    let v = map(&[("name", s("web")), ("extra", s("dropped"))]);
    assert_eq!(
        convert(&v, &t),
        Ok(map(&[
            ("inner", map(&[("x", Value::Bool(true))])),
            ("name", s("web")),
            ("port", Value::Number(22.0)),
            ("tags", Value::Null),
        ]))
    );
    // a null optional attribute also gets its default; nested defaults apply
    let v = map(&[
        ("name", s("db")),
        ("port", Value::Null),
        ("inner", map(&[])),
    ]);
    let out = convert(&v, &t).expect("converts");
    assert_eq!(
        out.as_map().and_then(|m| m.get("port")),
        Some(&Value::Number(22.0))
    );
    assert_eq!(
        out.as_map().and_then(|m| m.get("inner")),
        Some(&map(&[("x", Value::Bool(true))]))
    );
    // missing required attributes are named with their path
    let e = convert(&map(&[]), &t).expect_err("missing");
    assert_eq!(e.to_string(), "attribute \"name\" is required");
    let nested = ty("list(object({a = object({b = string})}))");
    let v = Value::List(vec![map(&[("a", map(&[]))])]);
    let e = convert(&v, &nested).expect_err("missing nested");
    assert_eq!(
        e.path,
        vec!["element 0".to_string(), "attribute \"a\"".to_string()]
    );
    assert_eq!(
        e.to_string(),
        "element 0: attribute \"a\": attribute \"b\" is required"
    );
    let v = Value::List(vec![map(&[("a", map(&[("b", Value::List(vec![]))]))])]);
    assert_eq!(
        convert(&v, &nested).map_err(|e| e.to_string()),
        Err("element 0: attribute \"a\": attribute \"b\": string required".into())
    );
}
