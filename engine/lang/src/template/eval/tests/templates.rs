//! String templates, directives, strip markers, heredocs and templatefile.

use super::*;
use crate::template::eval::eval_template_str;

#[test]
fn interpolation() {
    assert_eq!(eval("\"${local.prefix}-${var.region}\""), s("pk-us-east-1"));
    assert_eq!(
        eval("\"n=${var.count} f=${var.flag} x=${1.5} y=${2.0}\""),
        s("n=3 f=true x=1.5 y=2")
    );
    assert_eq!(eval("\"${1 + 2}\""), n(3.0)); // a lone interpolation keeps its type
    assert_eq!(eval("\"${var.names}\""), list(vec![s("a"), s("b"), s("c")]));
    assert_eq!(eval("\"a\\tb $${x} %%{y}\""), s("a\tb ${x} %{y}"));
    assert_eq!(eval("\"\""), s(""));
}

#[test]
fn if_directive() {
    assert_eq!(
        eval("\"%{ if var.flag }on%{ else }off%{ endif }\""),
        s("on")
    );
    assert_eq!(
        eval("\"%{ if !var.flag }on%{ else }off%{ endif }\""),
        s("off")
    );
    assert_eq!(eval("\"[%{ if false }x%{ endif }]\""), s("[]"));
    assert_eq!(eval("\"%{ if \"true\" }t%{ endif }\""), s("t"));
}

#[test]
fn for_directive() {
    assert_eq!(
        eval("\"%{ for n in var.names }${n},%{ endfor }\""),
        s("a,b,c,")
    );
    assert_eq!(
        eval("\"%{ for k, v in var.tags }${k}=${v};%{ endfor }\""),
        s("Env=prod;Name=web;")
    );
    assert_eq!(
        eval("\"%{ for i, n in var.names }${i}${n}%{ endfor }\""),
        s("0a1b2c")
    );
    assert_eq!(
        eval("\"%{ for x in [1, 2] }%{ for y in [3, 4] }${x}${y} %{ endfor }%{ endfor }\""),
        s("13 14 23 24 ")
    );
}

#[test]
fn strip_markers() {
    assert_eq!(eval("\"a  ${~ \"b\" ~}  c\""), s("abc"));
    assert_eq!(eval("\"a  ${~ \"b\" }  c\""), s("ab  c"));
    assert_eq!(eval("\"a  ${ \"b\" ~}  c\""), s("a  bc"));
    assert_eq!(eval("\"x %{ if true ~} y %{~ endif } z\""), s("x y z"));
    assert_eq!(eval("\"x %{~ if true } y %{ endif ~} z\""), s("x y z"));
    assert_eq!(
        eval("\"x %{ if false } y %{~ else ~} n %{~ endif } z\""),
        s("x n z")
    );
    assert_eq!(
        eval("\"[ %{~ for x in [1, 2] ~} ${x} %{~ endfor ~} ]\""),
        s("[12]")
    );
}

#[test]
fn heredocs() {
    assert_eq!(
        eval("<<EOT\n  a\n    ${var.region}\nEOT"),
        s("  a\n    us-east-1\n")
    );
    // `<<-` strips the common leading whitespace
    assert_eq!(
        eval("<<-EOT\n    a\n      ${var.region}\n    c\n  EOT"),
        s("a\n  us-east-1\nc\n")
    );
    assert_eq!(
        eval("<<-EOT\n  %{ for n in var.names ~}\n  - ${n}\n  %{ endfor ~}\n  EOT"),
        s("- a\n- b\n- c\n")
    );
    // blank lines do not count; escapes are kept literal
    assert_eq!(
        eval("<<-EOT\n    a\n\n      $${b}\n    EOT"),
        s("a\n\n  ${b}\n")
    );
    // a less indented line inside a directive body counts too
    assert_eq!(
        eval("<<-EOT\n    top\n    %{ if true }\n  in\n    %{ endif }\n    EOT"),
        s("  top\n  \nin\n  \n")
    );
    // an interpolation at the start of a line means nothing is stripped
    assert_eq!(
        eval("<<-EOT\n    a\n${var.region}\nEOT"),
        s("    a\nus-east-1\n")
    );
    let d = eval_err("<<EOT\nline\n${nope}\nEOT");
    assert_eq!(d.summary, "Unknown variable");
    assert_eq!(at(&d), ((3, 3), (3, 7)));
}

#[test]
fn template_strings_for_templatefile() {
    let mut sc = Scope::new(PathBuf::from("."));
    sc.set("name", s("web"));
    sc.set("ports", list(vec![n(80.0), n(443.0)]));
    assert_eq!(
        eval_template_str(
            "host ${name}\n%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\n",
            &sc
        ),
        Ok(s("host web\nport 80\nport 443\n"))
    );
    assert_eq!(
        eval_template_str("${ports}", &sc),
        Ok(list(vec![n(80.0), n(443.0)]))
    );
    // only the given variables are visible
    assert_eq!(
        eval_template_str("a\n ${var.x}", &sc),
        Err("2,4-7: Unknown variable; There is no variable named \"var\".".to_string())
    );
    assert!(eval_template_str("${", &sc).is_err_and(|e| e.starts_with("1,")));
}
