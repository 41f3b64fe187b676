//! Checking a configuration body against a list of fields, as HCL's
//! `hcldec` does (unsupported / missing / mistyped arguments, duplicate
//! blocks) plus enum and duration checks.

use std::collections::BTreeMap;

use super::field::{check_value, check_value_weak, parse_duration, Field, FieldType};
use super::suggest::did_you_mean;
use crate::diag::{Diagnostic, Range};
use crate::template::model::{ConfigAttr, ConfigBody};
use crate::template::Value;

fn err(context: &str, summary: &str, detail: String, range: Option<Range>) -> Diagnostic {
    Diagnostic::error(summary, detail)
        .with_range_opt(range)
        .with_context(context.to_string())
}

/// The bodies of a block-typed field: its nested blocks, or (legacy JSON
/// form) an attribute holding an object or a list of objects, turned into
/// bodies whose every location is the attribute's value.
pub fn nested_bodies(body: &ConfigBody, name: &str) -> Vec<ConfigBody> {
    let mut out: Vec<ConfigBody> = body.blocks_of(name).map(|b| b.body.clone()).collect();
    if let Some(a) = body.attrs.get(name) {
        match &a.value {
            Value::Map(m) => out.push(map_body(m, a.value_range.clone())),
            Value::List(items) => {
                for item in items {
                    if let Value::Map(m) = item {
                        out.push(map_body(m, a.value_range.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// An object value as a body located at `range`.
pub fn map_body(m: &BTreeMap<String, Value>, range: Option<Range>) -> ConfigBody {
    ConfigBody {
        attrs: m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    ConfigAttr {
                        value: v.clone(),
                        name_range: range.clone(),
                        value_range: range.clone(),
                    },
                )
            })
            .collect(),
        blocks: Vec::new(),
        range,
    }
}

/// Whether a body sets a field the way Go's `Prepare` sees it: a block,
/// or an attribute that is not null and not a zero value (`""`, `[]`,
/// `{}`). Unknown values count as set.
pub fn is_set(body: &ConfigBody, name: &str) -> bool {
    body.attrs.get(name).is_some_and(|a| !is_zero(&a.value))
        || body.blocks_of(name).next().is_some()
}

/// Like [`is_set`], but unknown values do not count (for conflicts,
/// which can only be decided once values are known).
pub fn is_known_set(body: &ConfigBody, name: &str) -> bool {
    body.attrs
        .get(name)
        .is_some_and(|a| !is_zero(&a.value) && !a.value.is_unknown())
        || body.blocks_of(name).next().is_some()
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => *n == 0.0,
        Value::Unknown => false,
    }
}

/// How values are checked.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The component's context, for diagnostics.
    pub context: &'a str,
    /// Legacy JSON templates: mapstructure's weak typing.
    pub weak: bool,
    /// Native HCL syntax: nested blocks must be written as blocks
    /// (`source_ami_filter { }`), not as object attributes.
    pub native_hcl: bool,
}

/// Validate `body` against `fields`, appending to `diags`.
pub fn body(diags: &mut Vec<Diagnostic>, cx: Ctx<'_>, fields: &[&Field], body: &ConfigBody) {
    let context = cx.context;
    let names = || fields.iter().map(|f| f.name);
    let find = |n: &str| fields.iter().copied().find(|f| f.name == n);

    for (name, attr) in &body.attrs {
        let Some(field) = find(name) else {
            let hint = did_you_mean(name, names());
            diags.push(err(
                context,
                "Unsupported argument",
                format!("An argument named {name:?} is not expected here.{hint}"),
                attr.name_range.clone(),
            ));
            continue;
        };
        check_attr(diags, cx, field, attr);
    }

    let mut counts: BTreeMap<&str, (usize, Option<Range>)> = BTreeMap::new();
    for block in &body.blocks {
        let Some(field) = find(&block.kind) else {
            let hint = did_you_mean(&block.kind, names());
            diags.push(err(
                context,
                "Unsupported block type",
                format!(
                    "Blocks of type {:?} are not expected here.{hint}",
                    block.kind
                ),
                block.range.clone(),
            ));
            continue;
        };
        let FieldType::Block {
            fields: inner, max, ..
        } = field.ty
        else {
            diags.push(err(
                context,
                "Unsupported block type",
                format!(
                    "Blocks of type {:?} are not expected here. Did you mean to define argument {:?}? If so, use the equals sign to assign it a value.",
                    block.kind, block.kind
                ),
                block.range.clone(),
            ));
            continue;
        };
        if !block.labels.is_empty() {
            diags.push(err(
                context,
                &format!("Extraneous label for {}", block.kind),
                format!("No labels are expected for {} blocks.", block.kind),
                block.range.clone(),
            ));
        }
        let entry = counts
            .entry(field.name)
            .or_insert((usize::from(body.attrs.contains_key(field.name)), None));
        entry.0 += 1;
        if max.is_some_and(|m| entry.0 > m) {
            let prev = entry
                .1
                .as_ref()
                .map(|r| {
                    format!(
                        " Previous definition was at {}:{},{}.",
                        r.filename, r.start.line, r.start.column
                    )
                })
                .unwrap_or_default();
            diags.push(err(
                context,
                &format!("Duplicate {} block", block.kind),
                format!("Only one block of type {:?} is allowed.{prev}", block.kind),
                block.range.clone(),
            ));
        }
        if entry.1.is_none() {
            entry.1 = block.range.clone();
        }
        let inner: Vec<&Field> = inner.iter().collect();
        self::body(diags, cx, &inner, &block.body);
    }

    for f in fields {
        if f.required && !is_set(body, f.name) {
            diags.push(missing(context, f.name, body.range.clone()));
        }
        if let FieldType::Block { min, .. } = f.ty {
            if min > 0 && !f.required && !is_set(body, f.name) {
                diags.push(err(
                    context,
                    "Missing required block",
                    format!("At least {min} {:?} block(s) required.", f.name),
                    body.range.clone(),
                ));
            }
        }
    }
}

/// "Missing required argument" for `name`.
pub fn missing(context: &str, name: &str, range: Option<Range>) -> Diagnostic {
    err(
        context,
        "Missing required argument",
        format!("The argument {name:?} is required, but no definition was found."),
        range,
    )
}

fn check_attr(diags: &mut Vec<Diagnostic>, cx: Ctx<'_>, field: &Field, attr: &ConfigAttr) {
    let context = cx.context;
    let checked = if cx.weak {
        check_value_weak(&field.ty, &attr.value)
    } else {
        check_value(&field.ty, &attr.value)
    };
    if let Err(e) = checked {
        diags.push(err(
            context,
            "Incorrect attribute value type",
            format!(
                "Inappropriate value for attribute {:?}: {}.",
                field.name, e.0
            ),
            attr.value_range.clone(),
        ));
        return;
    }
    match field.ty {
        FieldType::Block { .. } if cx.native_hcl => {
            diags.push(err(
                context,
                "Unsupported argument",
                format!(
                    "An argument named {:?} is not expected here. Did you mean to define a block of type {:?}?",
                    field.name, field.name
                ),
                attr.name_range.clone(),
            ));
        }
        FieldType::Block { fields, max, .. } => {
            let items: Vec<&BTreeMap<String, Value>> = match &attr.value {
                Value::Map(m) => vec![m],
                Value::List(items) => items.iter().filter_map(Value::as_map).collect(),
                _ => Vec::new(),
            };
            if max.is_some_and(|m| items.len() > m) {
                diags.push(err(
                    context,
                    &format!("Duplicate {} block", field.name),
                    format!("Only one block of type {:?} is allowed.", field.name),
                    attr.value_range.clone(),
                ));
            }
            let inner: Vec<&Field> = fields.iter().collect();
            for m in items {
                body(diags, cx, &inner, &map_body(m, attr.value_range.clone()));
            }
        }
        other => check_strings(diags, cx, field.name, &other, &attr.value, attr),
    }
}

/// Enum and duration checks on a known value, also inside lists and maps
/// (`checksum_types = ["sha256"]`).
fn check_strings(
    diags: &mut Vec<Diagnostic>,
    cx: Ctx<'_>,
    name: &str,
    ty: &FieldType,
    v: &Value,
    attr: &ConfigAttr,
) {
    match (ty, v) {
        (FieldType::List(inner), Value::List(items)) => {
            for item in items {
                check_strings(diags, cx, name, inner, item, attr);
            }
        }
        (FieldType::List(inner), v) if cx.weak => check_strings(diags, cx, name, inner, v, attr),
        (FieldType::Map(inner), Value::Map(m)) => {
            for item in m.values() {
                check_strings(diags, cx, name, inner, item, attr);
            }
        }
        (FieldType::Enum(allowed), v) => {
            if let Some(s) = v.to_display_string() {
                if !s.is_empty() && !allowed.contains(&s.as_str()) {
                    diags.push(invalid_enum(cx.context, name, &s, allowed, attr));
                }
            }
        }
        (FieldType::Duration, Value::Number(_)) if cx.weak => {
            // mapstructure decodes a number as nanoseconds
        }
        (FieldType::Duration, v) => {
            let Some(s) = v.to_display_string().filter(|s| !s.is_empty()) else {
                return;
            };
            if let Err(e) = parse_duration(&s) {
                diags.push(err(
                    cx.context,
                    "Invalid duration",
                    format!(
                        "The value of {name:?} is not a valid duration: {e}. A duration is a sequence of numbers with units, such as \"30s\", \"5m\" or \"1h30m\"."
                    ),
                    attr.value_range.clone(),
                ));
            }
        }
        _ => {}
    }
}

fn invalid_enum(
    context: &str,
    name: &str,
    got: &str,
    allowed: &[&str],
    attr: &ConfigAttr,
) -> Diagnostic {
    let hint = did_you_mean(got, allowed.iter().copied());
    let list = allowed
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    err(
        context,
        "Invalid value",
        format!("The value {got:?} is not valid for {name:?}; expected one of {list}.{hint}"),
        attr.value_range.clone(),
    )
}
