//! Body writing for `hcl2_upgrade`: JSON objects to HCL body items with
//! Packer's heuristics (no schemas: objects holding objects or lists become
//! blocks, lists of objects repeated blocks), string translation, and the
//! error comments written above blocks that could not be fully upgraded.

use std::collections::BTreeSet;

use super::hclwrite::{is_identifier, Block, Expr, Item};
use super::parse::{JsonKind, JsonMember, JsonNode};
use super::transpose::{TransposeState, Transposed, Unhandled};

/// A string value as an HCL quoted template, with a note when it could
/// not be translated.
pub fn string_expr(
    st: &mut TransposeState,
    s: &str,
    errs: &mut Vec<Unhandled>,
) -> (Expr, Option<String>) {
    match st.string(s, errs) {
        Transposed::Ok(c) => (Expr::Raw(format!("\"{c}\"")), None),
        Transposed::Failed(c, why) => (Expr::Raw(format!("\"{c}\"")), Some(why)),
    }
}

/// A JSON object's members as HCL body items, keys sorted; objects
/// holding objects or lists become nested blocks, lists of objects
/// become repeated blocks (Packer's heuristic without schemas).
pub fn body(
    st: &mut TransposeState,
    cfg: &[(String, JsonNode)],
    out: &mut Vec<Item>,
    errs: &mut Vec<Unhandled>,
    notes: &mut Vec<String>,
) {
    let mut sorted: Vec<&(String, JsonNode)> = cfg.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in sorted {
        if !is_identifier(k) {
            // HCL argument and block names must be identifiers.
            out.push(Item::Comment(vec![format!(
                "# could not upgrade the setting {k:?}: it is not a valid HCL argument name"
            )]));
            continue;
        }
        match &v.kind {
            JsonKind::Object(ms) => {
                let complex = ["linux_options", "network_interface", "shared_image_gallery"]
                    .contains(&k.as_str())
                    || ms.is_empty()
                    || ms.iter().any(|m| !is_primitive(&m.value));
                if complex {
                    let mut b = Block::new(k, &[]);
                    let inner: Vec<(String, JsonNode)> = ms
                        .iter()
                        .map(|m| (m.key.clone(), m.value.clone()))
                        .collect();
                    body(st, &inner, &mut b.body, errs, notes);
                    out.push(Item::Block(b));
                } else {
                    let e = value_expr(st, v, errs, notes);
                    out.push(Item::Attr(k.clone(), e));
                }
            }
            JsonKind::Array(list) if list.is_empty() => {}
            JsonKind::Array(list) => {
                let last_complex = list.iter().rev().find(|i| !is_primitive(i));
                let all_objects = list.iter().all(|i| i.as_object().is_some());
                if matches!(last_complex.map(|n| &n.kind), Some(JsonKind::Object(_))) && all_objects
                {
                    for item in list {
                        let mut b = Block::new(k, &[]);
                        let inner: Vec<(String, JsonNode)> = item
                            .as_object()
                            .unwrap_or_default()
                            .iter()
                            .map(|m| (m.key.clone(), m.value.clone()))
                            .collect();
                        body(st, &inner, &mut b.body, errs, notes);
                        out.push(Item::Block(b));
                    }
                } else {
                    let e = value_expr(st, v, errs, notes);
                    out.push(Item::Attr(k.clone(), e));
                }
            }
            _ => {
                let e = value_expr(st, v, errs, notes);
                out.push(Item::Attr(k.clone(), e));
            }
        }
    }
}

pub fn value_expr(
    st: &mut TransposeState,
    v: &JsonNode,
    errs: &mut Vec<Unhandled>,
    notes: &mut Vec<String>,
) -> Expr {
    match &v.kind {
        JsonKind::Null => Expr::Raw("null".into()),
        JsonKind::Bool(b) => Expr::Raw(b.to_string()),
        JsonKind::Number(n, _) => Expr::Raw(crate::template::value::format_number(*n)),
        JsonKind::String(s) => {
            let (e, note) = string_expr(st, s, errs);
            notes.extend(note);
            e
        }
        JsonKind::Array(items) => Expr::List(
            items
                .iter()
                .map(|i| value_expr(st, i, errs, notes))
                .collect(),
        ),
        JsonKind::Object(ms) if ms.is_empty() => Expr::Raw("{}".into()),
        JsonKind::Object(ms) => {
            let mut sorted: Vec<&JsonMember> = ms.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            Expr::Object(
                sorted
                    .into_iter()
                    .map(|m| (m.key.clone(), value_expr(st, &m.value, errs, notes)))
                    .collect(),
            )
        }
    }
}

pub fn is_primitive(n: &JsonNode) -> bool {
    matches!(
        n.kind,
        JsonKind::Bool(_) | JsonKind::Number(..) | JsonKind::String(_)
    )
}

/// Every `{{user `x`}}` name used in any string of the template.
pub fn collect_user_refs(n: &JsonNode, out: &mut BTreeSet<String>) {
    match &n.kind {
        JsonKind::String(s) => {
            out.extend(crate::template::json::interpolate::referenced_user_vars(s))
        }
        JsonKind::Array(items) => items.iter().for_each(|i| collect_user_refs(i, out)),
        JsonKind::Object(ms) => {
            for m in ms {
                if m.key != "variables" {
                    collect_user_refs(&m.value, out);
                }
            }
        }
        _ => {}
    }
}

/// Prefix a rendered block with Packer's error comments: a block whose
/// template calls could not all be upgraded gets an explanation.
pub fn with_notes(errs: &[Unhandled], failed: Option<&str>, lead: &str, block: &str) -> String {
    let indent = block.len() - block.trim_start_matches(' ').len();
    let pad = " ".repeat(indent);
    let mut out = String::new();
    if let Some(why) = failed {
        out.push('\n');
        out.push_str(&format!(
            "{pad}# could not parse template for following block: {:?}\n",
            format!("template: hcl2_upgrade: {why}")
        ));
    } else if !errs.is_empty() {
        out.push('\n');
        let n = errs.len();
        let head = if n == 1 {
            "# 1 error occurred upgrading the following block:".to_string()
        } else {
            format!("# {n} errors occurred upgrading the following block:")
        };
        out.push_str(&format!("{pad}{head}\n"));
        for (i, e) in errs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for l in e.lines() {
                out.push_str(&format!("{pad}{l}\n"));
            }
        }
    }
    out.push_str(lead);
    out.push_str(block);
    out
}
