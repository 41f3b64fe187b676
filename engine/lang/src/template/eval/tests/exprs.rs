//! Successful evaluation of every construct.

use super::*;

#[test]
fn literals_and_collections() {
    assert_eq!(eval("null"), Value::Null);
    assert_eq!(eval("true"), Value::Bool(true));
    assert_eq!(eval("1.5"), n(1.5));
    assert_eq!(eval("\"hi\""), s("hi"));
    assert_eq!(
        eval("[1, \"a\", [true]]"),
        list(vec![n(1.0), s("a"), list(vec![Value::Bool(true)])])
    );
    assert_eq!(
        eval("{a = 1, \"b\" = 2}"),
        map(&[("a", n(1.0)), ("b", n(2.0))])
    );
    // a bare name key is literal; a parenthesized one is evaluated
    assert_eq!(eval("{var = 1}"), map(&[("var", n(1.0))]));
    assert_eq!(eval("{(var.region) = 1}"), map(&[("us-east-1", n(1.0))]));
    assert_eq!(
        eval("{(var.count) = true}"),
        map(&[("3", Value::Bool(true))])
    );
    assert_eq!(eval("{a: 1}"), map(&[("a", n(1.0))]));
    // keywords as keys are literal names
    assert_eq!(
        eval("{null = 1, true = 2, false = 3}"),
        map(&[("null", n(1.0)), ("true", n(2.0)), ("false", n(3.0))])
    );
    assert_eq!(
        eval("{(\"a.b\") = 1, \"c.d\" = 2}"),
        map(&[("a.b", n(1.0)), ("c.d", n(2.0))])
    );
}

#[test]
fn arithmetic_converts_strings() {
    assert_eq!(eval("1 + 2 * 3"), n(7.0));
    assert_eq!(eval("(1 + 2) * 3"), n(9.0));
    assert_eq!(eval("7 / 2"), n(3.5));
    assert_eq!(eval("7 % 3"), n(1.0));
    assert_eq!(eval("-7 % 3"), n(-1.0));
    assert_eq!(eval("\"5\" + 1"), n(6.0));
    assert_eq!(eval("var.count - \"1.5\""), n(1.5));
    assert_eq!(eval("-var.count"), n(-3.0));
    assert_eq!(eval("1 / 0"), n(f64::INFINITY));
}

#[test]
fn comparison_and_logic() {
    assert_eq!(eval("1 < 2"), Value::Bool(true));
    assert_eq!(eval("2 <= 2"), Value::Bool(true));
    assert_eq!(eval("\"10\" > 9"), Value::Bool(true));
    assert_eq!(eval("3 >= 4"), Value::Bool(false));
    assert_eq!(eval("1 == 1"), Value::Bool(true));
    // values of different types are never equal
    assert_eq!(eval("1 == \"1\""), Value::Bool(false));
    assert_eq!(eval("[1, 2] == [1, 2]"), Value::Bool(true));
    assert_eq!(eval("{a = 1} != {a = 2}"), Value::Bool(true));
    assert_eq!(eval("var.nothing == null"), Value::Bool(true));
    assert_eq!(eval("true && false"), Value::Bool(false));
    assert_eq!(eval("true || false"), Value::Bool(true));
    assert_eq!(eval("!var.flag"), Value::Bool(false));
    assert_eq!(eval("\"true\" && true"), Value::Bool(true));
    assert_eq!(eval("!\"false\""), Value::Bool(true));
}

#[test]
fn conditionals() {
    assert_eq!(eval("var.flag ? \"yes\" : \"no\""), s("yes"));
    assert_eq!(eval("var.count > 5 ? 1 : 2"), n(2.0));
    assert_eq!(eval("\"false\" ? 1 : 2"), n(2.0));
    // mixed primitive results unify to string
    assert_eq!(eval("true ? 1 : \"a\""), s("1"));
    assert_eq!(eval("false ? [] : null"), Value::Null);
    assert_eq!(eval("true ? [1] : [\"a\", \"b\"]"), list(vec![n(1.0)]));
    // with an unknown condition the result is unknown (null when both are)
    assert_eq!(eval("build.x ? nope : 1"), Value::Unknown);
    assert_eq!(eval("build.x ? null : null"), Value::Null);
    assert_eq!(eval("true ? [1] : nope"), list(vec![n(1.0)]));
    // errors in the branch not taken are ignored
    assert_eq!(
        eval("var.nothing != null ? var.nothing.x : \"dflt\""),
        s("dflt")
    );
}

#[test]
fn attributes_and_indexes() {
    assert_eq!(eval("var.region"), s("us-east-1"));
    assert_eq!(eval("var.tags.Name"), s("web"));
    assert_eq!(eval("var.tags[\"Env\"]"), s("prod"));
    assert_eq!(eval("var.names[1]"), s("b"));
    assert_eq!(eval("var.names[\"2\"]"), s("c"));
    assert_eq!(eval("var.names.0"), s("a"));
    assert_eq!(eval("var.servers[1].port"), n(443.0));
    assert_eq!(eval("var.servers.1.name"), s("s2"));
    assert_eq!(eval("{a = [10, 20]}.a[1]"), n(20.0));
    assert_eq!(eval("[[1, 2], [3]][0][1]"), n(2.0));
}

#[test]
fn splats() {
    assert_eq!(eval("var.servers[*].name"), list(vec![s("s1"), s("s2")]));
    assert_eq!(eval("var.servers.*.port"), list(vec![n(80.0), n(443.0)]));
    // a full splat applies every following operator to each element
    assert_eq!(eval("[[1, 2], [3, 4]][*][0]"), list(vec![n(1.0), n(3.0)]));
    // an attribute splat applies only attribute accesses; the index applies to the result
    assert_eq!(eval("var.servers.*.name[1]"), s("s2"));
    // a non-list value is wrapped, null becomes an empty list
    assert_eq!(eval("var.tags[*].Name"), list(vec![s("web")]));
    assert_eq!(eval("var.nothing[*]"), list(vec![]));
    assert_eq!(eval("var.nothing.*.x"), list(vec![]));
    assert_eq!(
        eval("[{a = {b = 1}}, {a = {b = 2}}][*].a.b"),
        list(vec![n(1.0), n(2.0)])
    );
}

#[test]
fn for_expressions() {
    assert_eq!(
        eval("[for x in [1, 2, 3] : x * 2]"),
        list(vec![n(2.0), n(4.0), n(6.0)])
    );
    assert_eq!(
        eval("[for i, x in [\"a\", \"b\"] : \"${i}:${x}\"]"),
        list(vec![s("0:a"), s("1:b")])
    );
    assert_eq!(
        eval("[for x in [1, 2, 3, 4] : x if x % 2 == 0]"),
        list(vec![n(2.0), n(4.0)])
    );
    assert_eq!(
        eval("[for k, v in var.tags : \"${k}=${v}\"]"),
        list(vec![s("Env=prod"), s("Name=web")])
    );
    assert_eq!(
        eval("{for s in var.servers : s.name => s.port}"),
        map(&[("s1", n(80.0)), ("s2", n(443.0))])
    );
    assert_eq!(
        eval("{for k, v in var.tags : v => k}"),
        map(&[("prod", s("Env")), ("web", s("Name"))])
    );
    // grouping
    assert_eq!(
        eval("{for x in [\"apple\", \"avocado\", \"banana\"] : (x == \"banana\" ? \"b\" : \"a\") => x...}"),
        map(&[("a", list(vec![s("apple"), s("avocado")])), ("b", list(vec![s("banana")]))])
    );
    // iteration variables shadow roots and do not leak
    assert_eq!(eval("[for var in [1] : var]"), list(vec![n(1.0)]));
    assert_eq!(
        eval("[for x in [[1, 2], [3]] : [for y in x : y + 1]]"),
        list(vec![list(vec![n(2.0), n(3.0)]), list(vec![n(4.0)])])
    );
    assert_eq!(eval("[for x in [] : x]"), list(vec![]));
}

#[test]
fn unknown_propagates() {
    for src in [
        "build.id",
        "build.id + 1",
        "-build.x",
        "!build.x",
        "build.x == 1",
        "build.x ? 1 : 2",
        "build.x[0]",
        "var.names[build.i]",
        "build[*].a",
        "[for x in build.list : x]",
        "{for k, v in build.map : k => v}",
        "[for x in [1, 2] : x if build.c]",
        "{for x in [1] : build.k => x}",
        "\"id-${build.id}\"",
        "\"%{ if build.c }a%{ endif }\"",
        "\"%{ for x in build.l }a%{ endfor }\"",
        "{(build.k) = 1}",
        "build.x && true",
    ] {
        assert_eq!(eval(src), Value::Unknown, "{src}");
    }
    // a known deciding operand wins
    assert_eq!(eval("build.x && false"), Value::Bool(false));
    assert_eq!(eval("true || build.x"), Value::Bool(true));
    // unknowns stay inside collections
    assert_eq!(eval("[build.id, 1]"), list(vec![Value::Unknown, n(1.0)]));
    assert_eq!(eval("\"${build.id}\""), Value::Unknown);
}

#[test]
fn logic_short_circuits_like_hcl() {
    // a known deciding operand wins, dropping the other side's errors
    assert_eq!(
        eval("var.nothing != null && var.nothing.x == 1"),
        Value::Bool(false)
    );
    assert_eq!(
        eval("var.nothing == null || var.nothing.x"),
        Value::Bool(true)
    );
    assert_eq!(eval("nope && false"), Value::Bool(false));
    // an error-free unknown left operand decides when both are unknown
    assert_eq!(eval("build.x && nope"), Value::Unknown);
    assert_eq!(eval("build.x || true"), Value::Bool(true));
    let d = eval_err("nope && true");
    assert_eq!(d.summary, "Unknown variable");
    let d = eval_err("nope || build.x");
    assert_eq!(d.summary, "Unknown variable");
}
