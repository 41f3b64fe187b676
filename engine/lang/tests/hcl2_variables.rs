//! Variable values: precedence, type conversion, validation, errors.

mod support;

use kiln_lang::template::Value;
use support::{errors, find, var, Dir};

const DECL: &str = r#"
variable "region" {
  type    = string
  default = "default"
}
variable "count" {
  type    = number
  default = 1
}
variable "zones" {
  type    = list(string)
  default = []
}
source "null" "a" {
  communicator = "none"
}
build {
  sources = ["source.null.a"]
}
"#;

#[test]
fn precedence_default_env_auto_file_var_file_var() {
    let d = Dir::new(&[
        ("t.pkr.hcl", DECL),
        ("a.auto.pkrvars.hcl", "region = \"auto\"\ncount = 2\n"),
        ("x.pkrvars.hcl", "region = \"file\"\n"),
    ]);
    let mut opts = d.opts();
    opts.env = vec![
        ("PKR_VAR_region".into(), "env".into()),
        ("PKR_VAR_count".into(), "5".into()),
        ("PKR_VAR_zones".into(), "[\"a\", \"b\"]".into()),
    ];
    // Directory load: the auto file applies and beats the environment.
    let res = d.validate_with(".", &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    assert_eq!(var(&res, "region"), Value::from("auto"));
    assert_eq!(var(&res, "count"), Value::Number(2.0));
    assert_eq!(
        var(&res, "zones"),
        Value::List(vec!["a".into(), "b".into()])
    );

    opts.var_files = vec!["x.pkrvars.hcl".into()];
    let res = d.validate_with(".", &opts);
    assert_eq!(var(&res, "region"), Value::from("file"));

    opts.vars = vec![
        ("region".into(), "flag1".into()),
        ("region".into(), "flag2".into()),
    ];
    let res = d.validate_with(".", &opts);
    assert_eq!(var(&res, "region"), Value::from("flag2"));

    // A single file load ignores auto var files; env beats the default.
    let res = d.validate_with("t.pkr.hcl", &d.opts());
    assert_eq!(var(&res, "region"), Value::from("default"));
}

#[test]
fn var_values_parse_as_hcl_for_non_string_types() {
    let d = Dir::new(&[("t.pkr.hcl", DECL)]);
    let mut opts = d.opts();
    opts.vars = vec![
        ("count".into(), "3".into()),
        ("zones".into(), "[\"x\"]".into()),
    ];
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    assert_eq!(var(&res, "count"), Value::Number(3.0));
    assert_eq!(var(&res, "zones"), Value::List(vec!["x".into()]));
}

#[test]
fn type_mismatch_is_an_error() {
    let d = Dir::new(&[
        ("t.pkr.hcl", DECL),
        ("bad.pkrvars.hcl", "count = \"many\"\n"),
    ]);
    let mut opts = d.opts();
    opts.var_files = vec!["bad.pkrvars.hcl".into()];
    let res = d.validate_with("t.pkr.hcl", &opts);
    let e = find(&res.diags, "Invalid value for variable");
    assert!(e.detail.contains("count"), "{e:?}");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(1));
}

#[test]
fn json_var_files_work() {
    let d = Dir::new(&[
        ("t.pkr.hcl", DECL),
        ("v.json", r#"{"region": "json", "count": 7}"#),
    ]);
    let mut opts = d.opts();
    opts.var_files = vec!["v.json".into()];
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    assert_eq!(var(&res, "region"), Value::from("json"));
    assert_eq!(var(&res, "count"), Value::Number(7.0));
}

#[test]
fn undeclared_in_var_file_warns_and_on_command_line_errors() {
    let d = Dir::new(&[("t.pkr.hcl", DECL), ("x.pkrvars.hcl", "nope = 1\n")]);
    let mut opts = d.opts();
    opts.var_files = vec!["x.pkrvars.hcl".into()];
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(!res.diags.has_errors());
    let w = find(&res.diags, "Undefined variable");
    assert!(!w.is_error());
    assert!(w.range.is_some());

    opts.no_warn_undeclared_var = true;
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(res.diags.is_empty(), "{:#?}", res.diags);

    let mut opts = d.opts();
    opts.vars = vec![("nope".into(), "1".into())];
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(find(&res.diags, "Undefined -var variable").is_error());
}

#[test]
fn unset_required_variable_names_it() {
    let d = Dir::new(&[("t.pkr.hcl", "variable \"fruit\" {\n  type = string\n}\n")]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Unset variable \"fruit\"");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(1));
}

#[test]
fn validation_blocks_run() {
    let src = r#"
variable "size" {
  type    = number
  default = 3
  validation {
    condition     = var.size > 5
    error_message = "The size must be more than 5."
  }
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Invalid value for variable");
    assert!(e.detail.contains("The size must be more than 5."));
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(6));

    let mut opts = d.opts();
    opts.vars = vec![("size".into(), "9".into())];
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(errors(&res.diags).is_empty(), "{:#?}", res.diags);
}

#[test]
fn sensitive_and_duplicate_variables() {
    let src = "variable \"a\" {\n  default = \"x\"\n  sensitive = true\n}\nvariable \"a\" {\n  default = \"y\"\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Duplicate variable");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(5));
    let loaded = res.loaded.expect("loaded");
    assert!(loaded.template.variables[0].sensitive);
}

#[test]
fn undeclared_var_reference_is_located() {
    let src = "source \"null\" \"a\" {\n  communicator = var.missing\n}\nbuild {\n  sources = [\"source.null.a\"]\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Undefined variable");
    let r = e.range.as_ref().expect("range");
    assert_eq!((r.start.line, r.start.column), (2, 18));
    assert!(e.detail.contains("\"missing\""));
}
