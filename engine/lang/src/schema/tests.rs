//! Tests of component validation: each kind of diagnostic with its wording
//! and location.

use super::*;
use crate::diag::{Pos, Range};
use crate::template::model::{ConfigAttr, ConfigBlock, ConfigBody};
use crate::template::Value;

mod corpus;
mod families;

/// A range on line `line`, columns `[from, to)`.
pub(crate) fn rng(line: usize, from: usize, to: usize) -> Range {
    Range {
        filename: "t.pkr.hcl".into(),
        start: Pos {
            line,
            column: from,
            byte: 0,
        },
        end: Pos {
            line,
            column: to,
            byte: 0,
        },
    }
}

/// A body whose attribute `i` sits on line `i + 2`: name at columns 3..,
/// value at 20...
pub(crate) fn body(attrs: &[(&str, Value)]) -> ConfigBody {
    let mut b = ConfigBody {
        range: Some(rng(1, 1, 2)),
        ..ConfigBody::default()
    };
    for (i, (k, v)) in attrs.iter().enumerate() {
        b.attrs.insert(
            (*k).to_string(),
            ConfigAttr {
                value: v.clone(),
                name_range: Some(rng(i + 2, 3, 3 + k.len())),
                value_range: Some(rng(i + 2, 20, 30)),
            },
        );
    }
    b
}

pub(crate) fn comp(kind: ComponentKind, ty: &str, config: ConfigBody) -> Component {
    Component {
        kind,
        type_name: ty.to_string(),
        name: Some("x".into()),
        type_range: Some(rng(1, 8, 8 + ty.len() + 2)),
        context: format!("{} {ty:?} \"x\"", kind.noun()),
        config,
    }
}

fn s(v: &str) -> Value {
    Value::from(v)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| Value::from(*i)).collect())
}

fn errors(c: &Component) -> Vec<Diagnostic> {
    validate_component(c)
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect()
}

#[test]
fn registry_lookups() {
    assert!(lookup(ComponentKind::Builder, "null").is_some());
    assert!(lookup(ComponentKind::Provisioner, "null").is_none());
    let b = known_types(ComponentKind::Builder);
    let mut sorted = b.clone();
    sorted.sort_unstable();
    assert_eq!(b, sorted);
    assert!(b.contains(&"file"));
}

#[test]
fn unknown_type_lists_known_ones() {
    let c = comp(ComponentKind::Provisioner, "shel", body(&[]));
    let d = errors(&c);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].summary, "Unknown provisioner type \"shel\"");
    assert!(
        d[0].detail
            .starts_with("The provisioner type \"shel\" is not known to kiln. Did you mean \"shell\"? Known provisioner types: "),
        "{}",
        d[0].detail
    );
    assert!(d[0].detail.contains("\"shell\""));
    assert_eq!(d[0].range, c.type_range);
    assert_eq!(d[0].context.as_deref(), Some("provisioner \"shel\" \"x\""));
}

#[test]
fn unsupported_argument_with_suggestion() {
    let c = comp(
        ComponentKind::Builder,
        "file",
        body(&[("target", s("out")), ("contnet", s("x"))]),
    );
    let d = errors(&c);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].summary, "Unsupported argument");
    assert_eq!(
        d[0].detail,
        "An argument named \"contnet\" is not expected here. Did you mean \"content\"?"
    );
    assert_eq!(d[0].range, Some(rng(3, 3, 10)));
    assert_eq!(d[0].context.as_deref(), Some("builder \"file\" \"x\""));
}

#[test]
fn missing_required_argument() {
    let c = comp(ComponentKind::Builder, "file", body(&[("content", s("x"))]));
    let d = errors(&c);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].summary, "Missing required argument");
    assert_eq!(
        d[0].detail,
        "The argument \"target\" is required, but no definition was found."
    );
    assert_eq!(d[0].range, Some(rng(1, 1, 2)));
}

#[test]
fn incorrect_type_at_value() {
    let c = comp(
        ComponentKind::Provisioner,
        "shell",
        body(&[("inline", s("echo hi"))]),
    );
    let d = errors(&c);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].summary, "Incorrect attribute value type");
    assert_eq!(
        d[0].detail,
        "Inappropriate value for attribute \"inline\": list of string required."
    );
    assert_eq!(d[0].range, Some(rng(2, 20, 30)));
}

#[test]
fn exactly_one_of_inline_script_scripts() {
    let none = comp(ComponentKind::Provisioner, "shell", body(&[]));
    let d = errors(&none);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].detail,
        "One of \"inline\", \"script\" or \"scripts\" must be set."
    );
    let both = comp(
        ComponentKind::Provisioner,
        "shell",
        body(&[("inline", list(&["a"])), ("script", s("a.sh"))]),
    );
    let d = errors(&both);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].summary, "Conflicting arguments");
    assert_eq!(d[0].range, Some(rng(3, 3, 9)));
}

#[test]
fn unknown_values_pass_every_check() {
    let c = comp(
        ComponentKind::Provisioner,
        "shell",
        body(&[
            ("inline", Value::Unknown),
            ("valid_exit_codes", Value::Unknown),
            ("pause_after", Value::Unknown),
            ("binary", Value::Unknown),
        ]),
    );
    assert_eq!(errors(&c), vec![]);
}

#[test]
fn durations_and_enums() {
    let c = comp(
        ComponentKind::Builder,
        "null",
        body(&[("communicator", s("sshh")), ("ssh_timeout", s("5 minutes"))]),
    );
    let d = errors(&c);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].summary, "Invalid value");
    assert!(
        d[0].detail.contains("Did you mean \"ssh\"?"),
        "{}",
        d[0].detail
    );
    assert_eq!(d[1].summary, "Invalid duration");
    assert_eq!(d[1].range, Some(rng(3, 20, 30)));
}

#[test]
fn blocks_where_arguments_are_expected() {
    let mut b = body(&[("target", s("x"))]);
    b.blocks.push(ConfigBlock {
        kind: "content".into(),
        labels: vec![],
        body: ConfigBody::default(),
        range: Some(rng(5, 3, 10)),
    });
    b.blocks.push(ConfigBlock {
        kind: "sauce".into(),
        labels: vec![],
        body: ConfigBody::default(),
        range: Some(rng(6, 3, 8)),
    });
    let d = errors(&comp(ComponentKind::Builder, "file", b));
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].summary, "Unsupported block type");
    assert_eq!(d[0].detail, "Blocks of type \"content\" are not expected here. Did you mean to define argument \"content\"? If so, use the equals sign to assign it a value.");
    assert_eq!(
        d[1].detail,
        "Blocks of type \"sauce\" are not expected here. Did you mean \"source\"?"
    );
    assert_eq!(d[1].range, Some(rng(6, 3, 8)));
}

#[test]
fn argument_errors_come_in_source_order() {
    // "zz_bad" sorts after "aa_bad" by name but is written first
    let c = comp(
        ComponentKind::Builder,
        "file",
        body(&[("zz_bad", s("1")), ("target", s("t")), ("aa_bad", s("2"))]),
    );
    let d = errors(&c);
    let lines: Vec<usize> = d
        .iter()
        .filter_map(|d| d.range.as_ref().map(|r| r.start.line))
        .collect();
    assert_eq!(lines, vec![2, 4]);
}

#[test]
fn legacy_json_is_detected_from_the_file_name() {
    let mut c = comp(
        ComponentKind::Provisioner,
        "shell",
        body(&[("inline", s("echo hi"))]),
    );
    assert_eq!(errors(&c).len(), 1);
    if let Some(r) = c.type_range.as_mut() {
        r.filename = "template.json".into();
    }
    assert_eq!(errors(&c), vec![]);
    if let Some(r) = c.type_range.as_mut() {
        r.filename = "template.pkr.json".into();
    }
    assert_eq!(errors(&c).len(), 1);
}

/// The schemas and their field counts (printed with `--nocapture`).
#[test]
fn list_schemas() {
    for s in all() {
        let top = s.fields().count();
        let nested: usize = s
            .fields()
            .map(|f| match f.ty {
                field::FieldType::Block { fields, .. } => fields.len(),
                _ => 0,
            })
            .sum();
        println!(
            "schema {:<15} {:<16} {top:4} fields (+{nested} in blocks) plugin={:?}",
            s.kind.noun(),
            s.type_name,
            s.plugin,
        );
    }
    assert_eq!(all().len(), 24);
}
