//! HCL's JSON syntax (`*.pkr.json`): the JSON document is translated into
//! equivalent native HCL text (block structure from Packer's schema of
//! top-level and build blocks, strings as templates) and then parsed like a
//! `.pkr.hcl` file. Diagnostics name the JSON file and point into the
//! translated text, which is registered under the name `FILE (as HCL)`.
//! Repeated object keys are kept (HCL JSON uses them for repeated blocks),
//! so the document is read with the located JSON parser in keep-duplicates mode, not serde.

// A located diagnostic is the natural error of reading a file; it is
// created once per file, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::fmt::Write as _;
use std::path::Path;

use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::template::json::parse::{parse_keeping_duplicates, JsonKind, JsonNode};
use crate::template::json::read_json_file;

use super::parse::{parse_hcl_bytes, HclFile};

/// Read a `.pkr.json` file and parse its HCL translation.
pub fn read_json_body(
    path: &Path,
    name: &str,
    sources: &mut Sources,
) -> Result<HclFile, Diagnostic> {
    let mut diags = Diagnostics::new();
    // Validate syntax and UTF-8 with located errors first.
    if read_json_file(path, name, sources, &mut diags).is_none() {
        return Err(diags.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error("Invalid JSON", format!("{name} could not be read."))
        }));
    }
    let text = sources
        .get(name)
        .map(|f| f.text().to_string())
        .unwrap_or_default();
    let root = parse_keeping_duplicates(&text)
        .map_err(|e| Diagnostic::error("Invalid JSON", format!("{name}: {e}")))?;
    let JsonKind::Object(members) = &root.kind else {
        return Err(Diagnostic::error(
            "Invalid HCL JSON file",
            format!("{name}: the root of an HCL JSON file must be an object."),
        ));
    };
    let mut out = String::new();
    for m in members {
        if m.key == "//" {
            continue;
        }
        match top_labels(&m.key) {
            Some(n) => blocks(&mut out, &m.key, n, &m.value, 0),
            None => {
                let _ = writeln!(out, "{} = {}", m.key, value(&m.value, false));
            }
        }
    }
    parse_hcl_bytes(out.as_bytes(), &format!("{name} (as HCL)"), sources)
}

fn top_labels(key: &str) -> Option<usize> {
    match key {
        "packer" | "variables" | "locals" | "build" => Some(0),
        "variable" | "local" => Some(1),
        "source" | "data" => Some(2),
        _ => None,
    }
}

/// Nested block types (and their label counts) inside a block type.
fn nested_labels(parent: &str, key: &str) -> Option<usize> {
    match (parent, key) {
        ("build", "provisioner" | "post-processor" | "error-cleanup-provisioner" | "source") => {
            Some(1)
        }
        ("build", "post-processors" | "hcp_packer_registry") => Some(0),
        ("post-processors", "post-processor") => Some(1),
        ("packer", "required_plugins") | ("variable", "validation") => Some(0),
        _ => None,
    }
}

/// Emit blocks of type `kind` with `n` labels from `node` (an object of
/// labels → … → body, or an array of such objects).
fn blocks(out: &mut String, kind: &str, n: usize, node: &JsonNode, indent: usize) {
    let mut labels = Vec::new();
    emit_labeled(out, kind, n, node, &mut labels, indent);
}

fn emit_labeled(
    out: &mut String,
    kind: &str,
    n: usize,
    node: &JsonNode,
    labels: &mut Vec<String>,
    indent: usize,
) {
    if let JsonKind::Array(items) = &node.kind {
        for item in items {
            emit_labeled(out, kind, n, item, labels, indent);
        }
        return;
    }
    if labels.len() == n {
        let pad = "  ".repeat(indent);
        let ls: String = labels.iter().map(|l| format!(" {}", quote(l))).collect();
        let _ = writeln!(out, "{pad}{kind}{ls} {{");
        body(out, kind, node, indent + 1);
        let _ = writeln!(out, "{pad}}}");
        return;
    }
    if let JsonKind::Object(members) = &node.kind {
        for m in members {
            labels.push(m.key.clone());
            emit_labeled(out, kind, n, &m.value, labels, indent);
            labels.pop();
        }
    }
}

fn body(out: &mut String, kind: &str, node: &JsonNode, indent: usize) {
    let JsonKind::Object(members) = &node.kind else {
        return;
    };
    let pad = "  ".repeat(indent);
    for m in members {
        if m.key == "//" {
            continue;
        }
        if let Some(n) = nested_labels(kind, &m.key) {
            blocks(out, &m.key, n, &m.value, indent);
        } else {
            let raw = kind == "variable" && m.key == "type";
            let key = if is_ident(&m.key) {
                m.key.clone()
            } else {
                quote(&m.key)
            };
            let _ = writeln!(out, "{pad}{key} = {}", value(&m.value, raw));
        }
    }
}

/// A JSON value as an HCL expression. Strings are templates (`raw`: an
/// expression, as for a variable's `type`).
fn value(node: &JsonNode, raw: bool) -> String {
    match &node.kind {
        JsonKind::Null => "null".into(),
        JsonKind::Bool(b) => b.to_string(),
        JsonKind::Number(_, text) => text.clone(),
        JsonKind::String(s) if raw => s.clone(),
        JsonKind::String(s) => template(s),
        JsonKind::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| value(i, false)).collect();
            format!("[{}]", parts.join(", "))
        }
        JsonKind::Object(members) => {
            let parts: Vec<String> = members
                .iter()
                .map(|m| format!("{} = {}", quote(&m.key), value(&m.value, false)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// A quoted HCL template keeping `${…}` and `%{…}` sequences verbatim
/// (their insides are expressions) and escaping the literal parts.
fn template(s: &str) -> String {
    let mut out = String::from("\"");
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = (c == '$' || c == '%') && chars.get(i + 1) == Some(&'{');
        let escaped = i > 0 && chars[i - 1] == c;
        if opens && !escaped {
            let end = interpolation_end(&chars, i + 2);
            out.extend(&chars[i..end]);
            i = end;
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
        i += 1;
    }
    out.push('"');
    out
}

/// The index just past the `}` closing an interpolation whose body starts
/// at `start` (nested braces and quoted strings are skipped).
fn interpolation_end(chars: &[char], start: usize) -> usize {
    let mut depth = 1;
    let mut i = start;
    let mut in_str = false;
    while i < chars.len() {
        match chars[i] {
            '\\' if in_str => i += 1,
            '"' => in_str = !in_str,
            '{' if !in_str => depth += 1,
            '}' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

/// A quoted HCL string literal (no template sequences).
fn quote(s: &str) -> String {
    template(&s.replace("${", "$${").replace("%{", "%%{"))
}

fn is_ident(s: &str) -> bool {
    super::variables::is_valid_name(s)
}
