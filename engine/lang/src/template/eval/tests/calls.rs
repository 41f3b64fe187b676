//! Function calls: arguments, expansion, try/can, convert and errors.

use super::*;

#[test]
fn calls_and_expansion() {
    assert_eq!(eval("upper(var.region)"), s("US-EAST-1"));
    assert_eq!(eval("join(\"-\", var.names)"), s("a-b-c"));
    assert_eq!(eval("max([3, 9, 4]...)"), n(9.0));
    assert_eq!(eval("max(1, [3, 9]...)"), n(9.0));
    assert_eq!(
        eval("[for x in var.names : upper(x)]"),
        list(vec![s("A"), s("B"), s("C")])
    );
    // unknown arguments give an unknown result
    assert_eq!(eval("upper(build.id)"), Value::Unknown);
    assert_eq!(eval("max(build.list...)"), Value::Unknown);
    // … except for functions that look inside them
    assert_eq!(eval("length([build.id])"), n(1.0));
}

#[test]
fn try_and_can() {
    assert_eq!(eval("try(var.nope, var.region)"), s("us-east-1"));
    assert_eq!(eval("try(var.tags.Name, \"x\")"), s("web"));
    assert_eq!(eval("try(build.id, \"x\")"), Value::Unknown);
    assert_eq!(eval("can(var.names[5])"), Value::Bool(false));
    assert_eq!(eval("can(var.names[1])"), Value::Bool(true));
    assert_eq!(eval("can(build.id)"), Value::Bool(true));
    assert_eq!(
        eval("[for x in [1, \"a\", 3] : x if can(x + 1)]"),
        list(vec![n(1.0), n(3.0)])
    );
    let d = eval_err("try(\n  var.nope,\n  nope,\n)");
    assert_eq!(d.summary, "Error in function call");
    assert_eq!(
        d.detail,
        "Call to function \"try\" failed: no expression succeeded:\n\
         - Unsupported attribute (at t.pkr.hcl:2,6-11)\n  This object does not have an attribute named \"nope\".\n\
         - Unknown variable (at t.pkr.hcl:3,3-7)\n  There is no variable named \"nope\".\n\
         \nAt least one expression must produce a successful result."
    );
    assert_eq!(at(&d), ((1, 1), (1, 5)));
    let d = eval_err("can(1, 2)");
    assert_eq!(
        (d.summary.as_str(), at(&d)),
        ("Too many function arguments", ((1, 8), (1, 9)))
    );
    let d = eval_err("try()");
    assert_eq!(
        (d.summary.as_str(), at(&d)),
        ("Not enough function arguments", ((1, 5), (1, 6)))
    );
}

#[test]
fn convert_takes_a_type_expression() {
    assert_eq!(
        eval("convert([1, 2], list(string))"),
        list(vec![s("1"), s("2")])
    );
    assert_eq!(eval("convert({a = 1}, map(string))"), map(&[("a", s("1"))]));
    assert_eq!(
        eval("convert({a = 1, b = true}, object({a = string, b = string}))"),
        map(&[("a", s("1")), ("b", s("true"))])
    );
    // defaults are for variable types only
    let d = eval_err("convert({}, object({a = optional(number, 5)}))");
    assert_eq!(d.summary, "Invalid type specification");
    assert_eq!(
        d.detail,
        "Optional attribute modifier expects only one argument: the attribute type."
    );
    assert_eq!(at(&d), ((1, 13), (1, 46)));
    let d = eval_err("convert(1, lst(string))");
    assert_eq!(d.summary, "Invalid type specification");
    assert_eq!(d.detail, "Keyword \"lst\" is not a valid type constructor.");
    assert_eq!(at(&d), ((1, 12), (1, 15)));
    let d = eval_err("convert(\"a\", number)");
    assert_eq!(d.summary, "Invalid function argument");
    assert_eq!(at(&d), ((1, 9), (1, 12)));
}

#[test]
fn call_errors() {
    let d = eval_err("uper(var.region)");
    assert_eq!(d.summary, "Call to unknown function");
    assert_eq!(
        d.detail,
        "There is no function named \"uper\". Did you mean \"upper\"?"
    );
    assert_eq!(at(&d), ((1, 1), (1, 5)));
    let d = eval_err("x::upper(1)");
    assert_eq!(
        (d.summary.as_str(), d.detail.as_str()),
        (
            "Call to unknown function",
            "There is no function named \"x::upper\"."
        )
    );
    let d = eval_err("upper(\"a\", \"b\")");
    assert_eq!(d.summary, "Too many function arguments");
    assert_eq!(d.detail, "Function \"upper\" expects only 1 argument(s).");
    assert_eq!(at(&d), ((1, 12), (1, 15)));
    let d = eval_err("upper()");
    assert_eq!(d.summary, "Not enough function arguments");
    assert_eq!(d.detail, "Function \"upper\" expects 1 argument(s).");
    assert_eq!(at(&d), ((1, 7), (1, 8)));
    // argument errors point at the argument, also inside an expansion
    let d = eval_err("max(1,\n  \"x\")");
    assert_eq!(d.summary, "Invalid function argument");
    assert_eq!(at(&d), ((2, 3), (2, 6)));
    let d = eval_err("max(1, [2, \"x\"]...)");
    assert_eq!(d.summary, "Invalid function argument");
    assert_eq!(at(&d), ((1, 8), (1, 16)));
    let d = eval_err("max(null...)");
    assert_eq!(
        (d.summary.as_str(), d.detail.as_str()),
        (
            "Invalid expanding argument value",
            "The expanding argument (indicated by ...) must not be null."
        )
    );
    assert_eq!(at(&d), ((1, 5), (1, 9)));
    let d = eval_err("max(\"a\"...)");
    assert_eq!(
        d.detail,
        "The expanding argument (indicated by ...) must be of a tuple, list, or set type."
    );
    let d = eval_err("length(5)");
    assert_eq!(d.summary, "Invalid function argument");
    assert_eq!(at(&d), ((1, 8), (1, 9)));
    let d = eval_err("coalesce(null, \"\")");
    assert_eq!(d.summary, "Error in function call");
    assert_eq!(
        d.detail,
        "Call to function \"coalesce\" failed: no non-null, non-empty-string arguments."
    );
    assert_eq!(at(&d), ((1, 1), (1, 10)));
}

#[test]
fn templatefile_renders_with_only_its_vars() {
    let dir = std::env::temp_dir().join(format!("kiln-eval-tf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    std::fs::write(
        dir.join("t.tpl"),
        "%{ for s in servers ~}\n${s}:${port}\n%{ endfor ~}\n",
    )
    .expect("write");
    std::fs::write(dir.join("rec.tpl"), "${templatefile(\"t.tpl\", {})}").expect("write");
    let mut sc = Scope::new(dir.clone());
    sc.set("var", map(&[("p", n(22.0))]));
    let file = SourceFile::new("t.pkr.hcl", "");
    let run = |src: &str| {
        let e = hcl_edit::parser::parse_expr(src).expect("parse");
        eval_expr(&e, &sc, &file)
    };
    assert_eq!(
        run("templatefile(\"t.tpl\", {servers = [\"a\", \"b\"], port = var.p})"),
        Ok(s("a:22\nb:22\n"))
    );
    let err = run("templatefile(\"t.tpl\", {servers = [\"a\"]})").expect_err("missing var");
    assert!(
        err.0[0]
            .detail
            .contains("There is no variable named \"port\""),
        "{:?}",
        err
    );
    let err = run("templatefile(\"rec.tpl\", {})").expect_err("recursion");
    assert!(
        err.0[0]
            .detail
            .contains("cannot recursively call templatefile"),
        "{:?}",
        err
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_functions_are_reported_before_their_arguments() {
    let d = eval_err("uppr(nope)");
    assert_eq!(d.summary, "Call to unknown function");
    assert_eq!(at(&d), ((1, 1), (1, 5)));
}

#[test]
fn library_functions_in_expressions() {
    assert_eq!(
        eval("join(\",\", [for s in var.servers : \"${s.name}:${s.port}\"])"),
        s("s1:80,s2:443")
    );
    assert_eq!(eval("lookup(var.tags, \"Nope\", \"dflt\")"), s("dflt"));
    assert_eq!(eval("length(var.names) * 2"), n(6.0));
    assert_eq!(
        eval("format(\"%s-%d\", local.prefix, var.count)"),
        s("pk-3")
    );
    assert_eq!(eval("merge(var.tags, {Env = \"dev\"}).Env"), s("dev"));
    assert_eq!(
        eval("contains(var.names, \"b\") ? \"yes\" : \"no\""),
        s("yes")
    );
    assert_eq!(eval("coalesce(var.nothing, \"d\")"), s("d"));
    assert_eq!(eval("concat(var.names, [\"d\"])[3]"), s("d"));
    assert_eq!(eval("max(split(\",\", \"3,10,2\")...)"), n(10.0));
    assert_eq!(eval("upper(try(var.tags.Owner, \"nobody\"))"), s("NOBODY"));
}

#[test]
fn expansion_and_arity_come_before_the_other_arguments() {
    let d = eval_err("max(nope, null...)");
    assert_eq!(d.summary, "Invalid expanding argument value");
    let d = eval_err("upper([\"a\", \"b\"]...)");
    assert_eq!(d.summary, "Too many function arguments");
    assert_eq!(d.detail, "Function \"upper\" expects only 1 argument(s).");
    assert_eq!(at(&d), ((1, 7), (1, 17)));
    let d = eval_err("join(\",\")");
    assert_eq!(d.summary, "Not enough function arguments");
    assert_eq!(
        d.detail,
        "Function \"join\" expects at least 2 argument(s)."
    );
    assert_eq!(eval("upper([\"a\"]...)"), s("A"));
    assert_eq!(eval("upper(build.list...)"), Value::Unknown);
}
