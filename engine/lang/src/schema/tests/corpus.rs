//! Every component of the shared seeds and conformance templates whose
//! type kiln ships validates clean. Files are parsed with `hcl_edit`;
//! literal expressions become values, everything else is unknown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::Span;

use crate::diag::{Diagnostic, SourceFile};
use crate::schema::{lookup, validate_component, validate_legacy_component};
use crate::template::model::{Component, ComponentKind, ConfigAttr, ConfigBlock, ConfigBody};
use crate::template::Value;

const PROVISIONER_COMMON: &[&str] = &[
    "only",
    "except",
    "pause_before",
    "max_retries",
    "timeout",
    "override",
    "name",
];
const POST_PROCESSOR_COMMON: &[&str] = &["only", "except", "keep_input_artifact", "name"];

fn shared_dir() -> PathBuf {
    match std::env::var_os("KILN_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Intentionally invalid fixtures, and Packer's own `hcl2template` test
/// data (decoded against mock plugins, not the real components).
fn excluded(p: &Path) -> bool {
    let s = p.to_string_lossy();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    s.contains("hcl2template/testdata")
        || s.contains("validate-invalid")
        || [
            "invalid",
            "unknown",
            "nonexistent",
            "broken",
            "error",
            "malformed",
            "duplicate",
            "untyped",
        ]
        .iter()
        .any(|w| name.contains(w))
}

fn expr_value(e: &Expression) -> Value {
    match e {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => n.value().as_f64().map_or(Value::Unknown, Value::Number),
        Expression::String(s) => Value::String(s.value().clone()),
        Expression::Array(a) => Value::List(a.iter().map(expr_value).collect()),
        Expression::Object(o) => {
            let mut m = BTreeMap::new();
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.value().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                    _ => return Value::Unknown,
                };
                m.insert(key, expr_value(v.expr()));
            }
            Value::Map(m)
        }
        Expression::Parenthesis(p) => expr_value(p.inner()),
        _ => Value::Unknown,
    }
}

fn convert(body: &Body, file: &SourceFile, skip: &[&str]) -> ConfigBody {
    let mut out = ConfigBody::default();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let name = a.key.value().to_string();
                if skip.contains(&name.as_str()) {
                    continue;
                }
                out.attrs.insert(
                    name,
                    ConfigAttr {
                        value: expr_value(&a.value),
                        name_range: a.key.span().map(|r| file.range(r)),
                        value_range: a.value.span().map(|r| file.range(r)),
                    },
                );
            }
            Structure::Block(b) => {
                let range = b.ident.span().map(|r| file.range(r));
                let (kind, inner) = if b.ident.value().as_str() == "dynamic" {
                    let label = b.labels.first().map(|l| l.as_str().to_string());
                    let content = b.body.iter().find_map(|s| match s {
                        Structure::Block(c) if c.ident.value().as_str() == "content" => {
                            Some(&c.body)
                        }
                        _ => None,
                    });
                    match (label, content) {
                        (Some(l), Some(c)) => (l, convert(c, file, &[])),
                        _ => continue,
                    }
                } else {
                    (b.ident.value().to_string(), convert(&b.body, file, &[]))
                };
                out.blocks.push(ConfigBlock {
                    kind,
                    labels: Vec::new(),
                    body: inner,
                    range,
                });
            }
        }
    }
    out
}

/// The body located at its block's type identifier.
fn located(mut body: ConfigBody, b: &hcl_edit::structure::Block, file: &SourceFile) -> ConfigBody {
    body.range = b.ident.span().map(|r| file.range(r));
    body
}

fn component(kind: ComponentKind, ty: &str, config: ConfigBody, ctx: String) -> Component {
    Component {
        kind,
        type_name: ty.to_string(),
        name: None,
        type_range: None,
        context: ctx,
        config,
    }
}

fn hcl_components(path: &Path) -> Vec<Component> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let file = SourceFile::new(path.to_string_lossy(), text.as_str());
    let Ok(body) = hcl_edit::parser::parse_body(&text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in body.iter() {
        let Structure::Block(b) = s else { continue };
        let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
        let ctx = format!("{} {labels:?}", b.ident.value());
        match (b.ident.value().as_str(), labels.first()) {
            ("source", Some(t)) => out.push(component(
                ComponentKind::Builder,
                t,
                located(convert(&b.body, &file, &[]), b, &file),
                ctx,
            )),
            ("data", Some(t)) => out.push(component(
                ComponentKind::DataSource,
                t,
                located(convert(&b.body, &file, &[]), b, &file),
                ctx,
            )),
            ("build", _) => build_components(&b.body, &file, &mut out),
            _ => {}
        }
    }
    out
}

fn build_components(body: &Body, file: &SourceFile, out: &mut Vec<Component>) {
    for s in body.iter() {
        let Structure::Block(b) = s else { continue };
        let Some(t) = b.labels.first().map(|l| l.as_str()) else {
            if b.ident.value().as_str() == "post-processors" {
                build_components(&b.body, file, out);
            }
            continue;
        };
        let ctx = format!("{} {t:?}", b.ident.value());
        match b.ident.value().as_str() {
            "provisioner" | "error-cleanup-provisioner" => out.push(component(
                ComponentKind::Provisioner,
                t,
                located(convert(&b.body, file, PROVISIONER_COMMON), b, file),
                ctx,
            )),
            "post-processor" => out.push(component(
                ComponentKind::PostProcessor,
                t,
                located(convert(&b.body, file, POST_PROCESSOR_COMMON), b, file),
                ctx,
            )),
            _ => {}
        }
    }
}

/// A legacy JSON value: strings with `{{ }}` interpolation are unknown.
fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::String(s) if s.contains("{{") => Value::Unknown,
        serde_json::Value::Array(a) => Value::List(a.iter().map(json_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), json_value(v))).collect())
        }
        other => Value::from_json(other),
    }
}

fn json_component(kind: ComponentKind, v: &serde_json::Value, skip: &[&str]) -> Option<Component> {
    let o = v.as_object()?;
    let ty = o.get("type")?.as_str()?;
    let mut config = ConfigBody::default();
    for (k, v) in o {
        if k == "type" || skip.contains(&k.as_str()) {
            continue;
        }
        config.attrs.insert(
            k.clone(),
            ConfigAttr {
                value: json_value(v),
                name_range: None,
                value_range: None,
            },
        );
    }
    Some(component(
        kind,
        ty,
        config,
        format!("{} {ty:?}", kind.noun()),
    ))
}

fn json_components(path: &Path) -> Vec<Component> {
    let Some(doc) = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let arr = |k: &str| {
        doc.get(k)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    for b in arr("builders") {
        out.extend(json_component(ComponentKind::Builder, &b, &["name"]));
    }
    for p in arr("provisioners") {
        out.extend(json_component(
            ComponentKind::Provisioner,
            &p,
            PROVISIONER_COMMON,
        ));
    }
    for p in arr("post-processors") {
        let chain = match p {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        for item in chain {
            out.extend(json_component(
                ComponentKind::PostProcessor,
                &item,
                POST_PROCESSOR_COMMON,
            ));
        }
    }
    out
}

/// All components of the corpus: (file, component).
fn corpus() -> Vec<(PathBuf, Component)> {
    let root = shared_dir();
    let mut all = Vec::new();
    files(&root.join("seeds"), &mut all);
    files(&root.join("conformance/templates"), &mut all);
    let mut out = Vec::new();
    for p in all {
        let name = p.to_string_lossy().to_string();
        let comps = if name.ends_with(".pkr.hcl") {
            hcl_components(&p)
        } else if name.ends_with(".json") {
            json_components(&p)
        } else {
            continue;
        };
        out.extend(comps.into_iter().map(|c| (p.clone(), c)));
    }
    out
}

/// Diagnostics that are right for the raw component, because the template
/// is only valid as Packer runs it: `(file suffix, context or "" for any,
/// detail prefix)`.
const EXPECTED: &[(&str, &str, &str)] = &[
    // validated with `-except vanilla` / `-except banana` in Packer's tests
    (
        "validate/validate_except.pkr.hcl",
        "source [\"file\", \"vanilla\"]",
        "The argument \"target\" is required",
    ),
    (
        "validate/validate_except.json",
        "builder \"file\"",
        "The argument \"target\" is required",
    ),
    // post-processor "banana", excluded by `-except banana`
    (
        "validate/validate_except.pkr.hcl",
        "post-processor \"shell-local\"",
        "One of \"command\", \"inline\"",
    ),
    (
        "validate/validate_except.json",
        "post-processor \"shell-local\"",
        "One of \"command\", \"inline\"",
    ),
    // `ami_name = "%s"`: a Go fmt placeholder the plugin's acceptance
    // tests fill in
    (
        "ebs/test-fixtures/interpolated_run_tags.json",
        "",
        "ami_name must be",
    ),
    (
        "ebs/test-fixtures/interpolated_run_tags.json",
        "",
        "AMIName should",
    ),
    (
        "ebs/test-fixtures/interpolated_run_tags.pkr.hcl",
        "",
        "ami_name must be",
    ),
    (
        "ebs/test-fixtures/interpolated_run_tags.pkr.hcl",
        "",
        "AMIName should",
    ),
    ("ami/test-fixtures/template.pkr.hcl", "", "ami_name must be"),
    ("ami/test-fixtures/template.pkr.hcl", "", "AMIName should"),
    // a fragment ("다른 설정..." = "other settings..."): required settings
    // elided, and `role` is not a `vault_aws_engine` field (`role_arn` is)
    (
        "seeds/guide-ko-09.pkr.hcl",
        "source [\"amazon-ebs\", \"secure\"]",
        "",
    ),
    // `target` is set by the build's `dynamic "source"` block
    (
        "hcl/dynamic/build.pkr.hcl",
        "source [\"file\", \"base\"]",
        "The argument \"target\" is required",
    ),
];

fn expected(p: &Path, d: &Diagnostic) -> bool {
    let ps = p.to_string_lossy();
    EXPECTED.iter().any(|(suffix, ctx, detail)| {
        ps.ends_with(suffix)
            && (ctx.is_empty() || d.context.as_deref() == Some(*ctx))
            && d.detail.starts_with(detail)
    })
}

fn render(p: &Path, d: &Diagnostic) -> String {
    let at = d
        .range
        .as_ref()
        .map(|r| format!(":{}", r.start.line))
        .unwrap_or_default();
    format!(
        "{}{at} [{}] {}: {}",
        p.display(),
        d.context.as_deref().unwrap_or(""),
        d.summary,
        d.detail
    )
}

#[test]
fn corpus_components_validate_clean() {
    let comps = corpus();
    if comps.is_empty() {
        eprintln!("shared corpus not found; skipping");
        return;
    }
    let mut checked = 0;
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (p, c) in &comps {
        if excluded(p) || lookup(c.kind, &c.type_name).is_none() {
            continue;
        }
        checked += 1;
        *by_type
            .entry(format!("{} {}", c.kind.noun(), c.type_name))
            .or_default() += 1;
        let diags = if p.extension().is_some_and(|e| e == "json") {
            validate_legacy_component(c)
        } else {
            validate_component(c)
        };
        for d in diags.iter().filter(|d| d.is_error() && !expected(p, d)) {
            problems.push(render(p, d));
        }
    }
    for (t, n) in &by_type {
        println!("checked {n:4} {t}");
    }
    assert!(checked > 100, "only {checked} components checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Types the corpus uses that kiln does not ship, outside the invalid and
/// mock fixtures: uses and files (printed with `--nocapture`).
#[test]
fn corpus_unshipped_types() {
    let mut counts: BTreeMap<(String, String), (usize, std::collections::BTreeSet<PathBuf>)> =
        BTreeMap::new();
    for (p, c) in corpus() {
        if !excluded(&p) && lookup(c.kind, &c.type_name).is_none() {
            let e = counts
                .entry((c.kind.noun().to_string(), c.type_name.clone()))
                .or_default();
            e.0 += 1;
            e.1.insert(p);
        }
    }
    for ((k, t), (n, files)) in &counts {
        println!("unshipped {n:4} uses in {:3} files: {k} {t}", files.len());
    }
}
