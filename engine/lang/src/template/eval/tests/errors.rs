//! Every error: summary, detail and exact range.

use super::*;

/// Assert the summary, detail and `(line, col)` range of the error of `src`.
fn check(src: &str, summary: &str, detail: &str, from: (usize, usize), to: (usize, usize)) {
    let d = eval_err(src);
    assert_eq!(d.summary, summary, "{src}");
    assert_eq!(d.detail, detail, "{src}");
    assert_eq!(at(&d), (from, to), "{src}");
    assert_eq!(
        d.range.as_ref().map(|r| r.filename.as_str()),
        Some("t.pkr.hcl")
    );
}

#[test]
fn unknown_variable() {
    check(
        "foo",
        "Unknown variable",
        "There is no variable named \"foo\".",
        (1, 1),
        (1, 4),
    );
    check(
        "1 + vars.x",
        "Unknown variable",
        "There is no variable named \"vars\". Did you mean \"var\"?",
        (1, 5),
        (1, 9),
    );
    check(
        "[for x in [1] : yyy]",
        "Unknown variable",
        "There is no variable named \"yyy\".",
        (1, 17),
        (1, 20),
    );
    check(
        "[for item in [1] : iten]",
        "Unknown variable",
        "There is no variable named \"iten\". Did you mean \"item\"?",
        (1, 20),
        (1, 24),
    );
}

#[test]
fn unsupported_attribute() {
    check(
        "var.regoin",
        "Unsupported attribute",
        "This object does not have an attribute named \"regoin\". Did you mean \"region\"?",
        (1, 4),
        (1, 11),
    );
    check(
        "[\n  var.tags.bogus_thing,\n]",
        "Unsupported attribute",
        "This object does not have an attribute named \"bogus_thing\".",
        (2, 11),
        (2, 23),
    );
    check(
        "var.servers.name",
        "Unsupported attribute",
        "Can't access attributes on a list of objects. Did you mean to access attribute \"name\" for a specific element of the list, or across all elements of the list?",
        (1, 12),
        (1, 17),
    );
    check(
        "var.names.x",
        "Unsupported attribute",
        "This value does not have any attributes.",
        (1, 10),
        (1, 12),
    );
    check(
        "var.region.x",
        "Unsupported attribute",
        "Can't access attributes on a primitive-typed value (string).",
        (1, 11),
        (1, 13),
    );
    check(
        "var.nothing.x",
        "Attempt to get attribute from null value",
        "This value is null, so it does not have any attributes.",
        (1, 12),
        (1, 14),
    );
}

#[test]
fn invalid_index() {
    let no_elem = "The given key does not identify an element in this collection value";
    check(
        "var.names[3]",
        "Invalid index",
        &format!(
            "{no_elem}: the given index is greater than or equal to the length of the collection."
        ),
        (1, 10),
        (1, 13),
    );
    check(
        "var.names[-1]",
        "Invalid index",
        &format!("{no_elem}: a negative number is not a valid index for a sequence."),
        (1, 10),
        (1, 14),
    );
    check(
        "var.names[\"x\"]",
        "Invalid index",
        &format!("{no_elem}: a number is required."),
        (1, 10),
        (1, 15),
    );
    check(
        "var.names.7",
        "Invalid index",
        &format!(
            "{no_elem}: the given index is greater than or equal to the length of the collection."
        ),
        (1, 10),
        (1, 12),
    );
    check(
        "var.tags[\"nope\"]",
        "Invalid index",
        &format!("{no_elem}."),
        (1, 9),
        (1, 17),
    );
    check(
        "var.region[0]",
        "Invalid index",
        "This value does not have any indices.",
        (1, 11),
        (1, 14),
    );
    check(
        "var.nothing[0]",
        "Attempt to index null value",
        "This value is null, so it does not have any indices.",
        (1, 12),
        (1, 15),
    );
}

#[test]
fn operators() {
    check(
        "\"abc\" + 1",
        "Invalid operand",
        "Unsuitable value for left operand: a number is required.",
        (1, 1),
        (1, 6),
    );
    check(
        "1 * [2]",
        "Invalid operand",
        "Unsuitable value for right operand: number required.",
        (1, 5),
        (1, 8),
    );
    check(
        "-\"x\"",
        "Invalid operand",
        "Unsuitable value for unary operand: a number is required.",
        (1, 2),
        (1, 5),
    );
    check(
        "!1",
        "Invalid operand",
        "Unsuitable value for unary operand: bool required.",
        (1, 2),
        (1, 3),
    );
    check(
        "true && \"yes\"",
        "Invalid operand",
        "Unsuitable value for right operand: a bool is required.",
        (1, 9),
        (1, 14),
    );
    check(
        "null + 1",
        "Operation failed",
        "Error during operation: argument must not be null.",
        (1, 1),
        (1, 9),
    );
    check(
        "0 / 0",
        "Operation failed",
        "Error during operation: can't divide zero by zero.",
        (1, 1),
        (1, 6),
    );
    check(
        "5 % 0",
        "Operation failed",
        "Error during operation: can't use modulo by zero.",
        (1, 1),
        (1, 6),
    );
}

#[test]
fn conditional_errors() {
    check(
        "var.nothing ? 1 : 2",
        "Null condition",
        "The condition value is null. Conditions must either be true or false.",
        (1, 1),
        (1, 12),
    );
    check(
        "\"maybe\" ? 1 : 2",
        "Incorrect condition type",
        "The condition expression must be of type bool.",
        (1, 1),
        (1, 8),
    );
    check(
        "true ? [1] : \"a\"",
        "Inconsistent conditional result types",
        "The true and false result expressions must have consistent types. The 'true' value is tuple, but the 'false' value is string.",
        (1, 8),
        (1, 17),
    );
    check(
        "false ? {} : []",
        "Inconsistent conditional result types",
        "The true and false result expressions must have consistent types. The 'true' value is object, but the 'false' value is tuple.",
        (1, 9),
        (1, 16),
    );
    // the selected branch's error is reported
    check(
        "true ? nope : 1",
        "Unknown variable",
        "There is no variable named \"nope\".",
        (1, 8),
        (1, 12),
    );
}

#[test]
fn for_errors() {
    check(
        "[for x in var.region : x]",
        "Iteration over non-iterable value",
        "A value of type string cannot be used as the collection in a 'for' expression.",
        (1, 11),
        (1, 21),
    );
    check(
        "[for x in null : x]",
        "Iteration over null value",
        "A null value cannot be used as the collection in a 'for' expression.",
        (1, 11),
        (1, 15),
    );
    check(
        "{for x in [\"a\", \"a\"] : x => 1}",
        "Duplicate object key",
        "Two different items produced the key \"a\" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.",
        (1, 24),
        (1, 25),
    );
    check(
        "{for x in [[1]] : x => 1}",
        "Invalid object key",
        "The key expression produced an invalid result: string required.",
        (1, 19),
        (1, 20),
    );
    check(
        "{for x in [1] : null => 1}",
        "Invalid object key",
        "Key expression in 'for' expression must not produce a null value.",
        (1, 17),
        (1, 21),
    );
    check(
        "[for x in [1] : x if x]",
        "Invalid 'for' condition",
        "The 'if' clause value is invalid: bool required.",
        (1, 22),
        (1, 23),
    );
    check(
        "[for x in [1] : x if null]",
        "Condition is null",
        "The value of the 'if' clause must not be null.",
        (1, 22),
        (1, 26),
    );
    check(
        "[for x in [1] : x if \"maybe\"]",
        "Invalid 'for' condition",
        "The 'if' clause value is invalid: a bool is required.",
        (1, 22),
        (1, 29),
    );
    // null only for some element
    check(
        "[for x in [1, null] : x if x == null ? null : true]",
        "Invalid 'for' condition",
        "The value of the 'if' clause must not be null.",
        (1, 28),
        (1, 51),
    );
    // an error independent of the element is reported once
    check(
        "[for x in [1, 2, 3] : x if nope]",
        "Unknown variable",
        "There is no variable named \"nope\".",
        (1, 28),
        (1, 32),
    );
}

#[test]
fn object_key_errors() {
    check(
        "{(null) = 1}",
        "Null value as key",
        "Can't use a null value as a key.",
        (1, 11),
        (1, 12),
    );
    check(
        "{var.region = 1}",
        "Ambiguous attribute key",
        "If this expression is intended to be a reference, wrap it in parentheses. If it's instead intended as a literal name containing periods, wrap it in quotes to create a string literal.",
        (1, 2),
        (1, 12),
    );
    check(
        "{([1]) = 1}",
        "Incorrect key type",
        "Can't use this value as a key: string required.",
        (1, 2),
        (1, 7),
    );
}

#[test]
fn template_errors() {
    check(
        "\"a ${var.nothing} b\"",
        "Invalid template interpolation value",
        "The expression result is null. Cannot include a null value in a string template.",
        (1, 6),
        (1, 17),
    );
    check(
        "\"a\n${var.names}\"",
        "Invalid template interpolation value",
        "Cannot include the given value in a string template: string required.",
        (2, 3),
        (2, 12),
    );
    check(
        "\"%{ for x in 5 }${x}%{ endfor }\"",
        "Iteration over non-iterable value",
        "A value of type number cannot be used as the collection in a 'for' expression.",
        (1, 14),
        (1, 15),
    );
    check(
        "\"%{ if \"x\" }a%{ endif }\"",
        "Incorrect condition type",
        "The condition expression must be of type bool.",
        (1, 8),
        (1, 11),
    );
}

#[test]
fn multi_line_ranges_count_lines_and_columns() {
    let d = eval_err("{\n  a = 1\n  b = [\n    var.tags.nope\n  ]\n}");
    assert_eq!(d.summary, "Unsupported attribute");
    assert_eq!(at(&d), ((4, 13), (4, 18)));
}

#[test]
fn for_each_collections() {
    use crate::template::eval::eval_for_each;
    let file = |src: &str| SourceFile::new("t.pkr.hcl", src);
    let go = |src: &str| {
        let e = hcl_edit::parser::parse_expr(src).expect("parse");
        eval_for_each(&e, &scope(), &file(src))
    };
    assert_eq!(
        go("var.tags"),
        Ok(Some(vec![(s("Env"), s("prod")), (s("Name"), s("web"))]))
    );
    assert_eq!(go("[\"a\"]"), Ok(Some(vec![(n(0.0), s("a"))])));
    assert_eq!(go("build.list"), Ok(None));
    let d = go("var.region").expect_err("string").0.remove(0);
    assert_eq!(d.summary, "Invalid dynamic for_each value");
    assert_eq!(
        d.detail,
        "Cannot use a string value in for_each. An iterable collection is required."
    );
    assert_eq!(at(&d), ((1, 1), (1, 11)));
    let d = go("null").expect_err("null").0.remove(0);
    assert_eq!(d.detail, "Cannot use a null value in for_each.");
    let d = go("var.names[1.5]").expect_err("index").0.remove(0);
    assert_eq!(
        d.detail,
        "The given key does not identify an element in this collection value: indexing a sequence requires a whole number, but the given index has a fractional part."
    );
}

#[test]
fn every_error_of_an_expression_is_reported() {
    let all = |src: &str| {
        let e = hcl_edit::parser::parse_expr(src).expect("parse");
        let file = SourceFile::new("t.pkr.hcl", src);
        eval_expr(&e, &scope(), &file)
            .expect_err("errors")
            .0
            .into_iter()
            .map(|d| (d.summary.clone(), at(&d)))
            .collect::<Vec<_>>()
    };
    let unknown = |from, to| ("Unknown variable".to_string(), (from, to));
    assert_eq!(
        all("[foo, var.nope, 1 + \"x\"]"),
        vec![
            unknown((1, 2), (1, 5)),
            ("Unsupported attribute".to_string(), ((1, 10), (1, 15))),
            ("Invalid operand".to_string(), ((1, 21), (1, 24))),
        ]
    );
    assert_eq!(
        all("{a = foo, (bar) = 1}"),
        vec![unknown((1, 6), (1, 9)), unknown((1, 12), (1, 15))]
    );
    assert_eq!(
        all("\"${foo}-${bar}\""),
        vec![unknown((1, 4), (1, 7)), unknown((1, 11), (1, 14))]
    );
    assert_eq!(
        all("foo + bar"),
        vec![unknown((1, 1), (1, 4)), unknown((1, 7), (1, 10))]
    );
    assert_eq!(
        all("\"a\" * [1]"),
        vec![
            ("Invalid operand".to_string(), ((1, 1), (1, 4))),
            ("Invalid operand".to_string(), ((1, 7), (1, 10))),
        ]
    );
    assert_eq!(
        all("join(foo, bar)"),
        vec![unknown((1, 6), (1, 9)), unknown((1, 11), (1, 14))]
    );
    // the argument count is checked before the arguments are evaluated
    assert_eq!(
        all("upper(foo, bar)"),
        vec![(
            "Too many function arguments".to_string(),
            ((1, 12), (1, 15))
        )]
    );
    // all of them are caught by try/can
    assert_eq!(eval("can([foo, bar])"), Value::Bool(false));
    assert_eq!(eval("try({a = foo, b = bar}, 1)"), n(1.0));
}

#[test]
fn operand_conversion_errors_come_first() {
    let e = hcl_edit::parser::parse_expr("nope + \"a\"").expect("parse");
    let file = SourceFile::new("t.pkr.hcl", "nope + \"a\"");
    let d = eval_expr(&e, &scope(), &file).expect_err("errors");
    let summaries: Vec<&str> = d.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(summaries, vec!["Invalid operand", "Unknown variable"]);
    assert_eq!(at(&d.0[0]), ((1, 8), (1, 11)));
}
