//! User variables of legacy JSON templates: the `variables` and
//! `sensitive-variables` sections, `-var-file` JSON files and `-var`
//! flags.
//!
//! Precedence (lowest first): variable defaults < `-var-file` files (in
//! order) < `-var` flags (in order). Every value is then rendered as a
//! template in which `{{env}}` is allowed and `{{user}}` may refer to
//! other variables (in any order, as long as there is no cycle). A
//! variable whose default is `null` and that is not set is required.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::interpolate::{interpolate, InterpContext, InterpError};
use super::parse::{JsonKind, JsonNode};
use super::{located, read_json_file, FileCtx};
use crate::diag::{Diagnostic, Diagnostics, Range, Sources};
use crate::template::model::Variable;
use crate::template::{LoadOptions, Value};

/// Where a raw variable value came from, for diagnostics.
#[derive(Debug, Clone)]
struct Raw {
    value: String,
    range: Option<Range>,
    origin: String,
}

/// The result of resolving variables.
#[derive(Debug, Default)]
pub struct ResolvedVars {
    pub variables: Vec<Variable>,
    /// Every user variable's final value (declared or only set by
    /// `-var`/`-var-file`), for `{{user}}`.
    pub values: BTreeMap<String, String>,
}

/// A JSON primitive as Packer's weakly typed decoding turns it into a
/// string (numbers as Go's `%v` of a float64, bools as `1`/`0`).
pub fn weak_string(node: &JsonNode) -> Option<String> {
    match &node.kind {
        JsonKind::String(s) => Some(s.clone()),
        JsonKind::Number(n, _) => Some(crate::template::value::format_number(*n)),
        JsonKind::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

/// Read the `variables` / `sensitive-variables` sections and the
/// command-line inputs; render every value.
pub fn resolve(
    file: &FileCtx,
    root: &JsonNode,
    opts: &LoadOptions,
    base: &InterpContext,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    evaluate: bool,
) -> ResolvedVars {
    let variables = root.get("variables").map(|m| &m.value);
    let sensitive = root.get("sensitive-variables").map(|m| &m.value);
    let mut declared: Vec<Variable> = Vec::new();
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();

    let sensitive_names = sensitive_list(file, sensitive, diags);

    if let Some(vars) = variables {
        match vars.as_object() {
            Some(members) => {
                for m in members {
                    let key_range = file.range(&m.key_span);
                    // Packer decodes defaults strictly: a string or null.
                    let default = match &m.value.kind {
                        JsonKind::Null => None,
                        JsonKind::String(s) => Some(s.clone()),
                        _ => {
                            let go_type = match m.value.kind {
                                JsonKind::Number(..) => "float64",
                                JsonKind::Bool(_) => "bool",
                                JsonKind::Array(_) => "[]interface {}",
                                _ => "map[string]interface {}",
                            };
                            diags.push(
                                located(
                                    "Invalid variable default",
                                    format!(
                                        "variable {}: '' expected type 'string', got unconvertible type '{go_type}'. \
                                         Defaults of JSON template variables must be strings (quote the value) or null.",
                                        m.key
                                    ),
                                    file.range(&m.value.span),
                                )
                                .with_context(format!("variable {:?}", m.key)),
                            );
                            continue;
                        }
                    };
                    if let Some(d) = &default {
                        raw.insert(
                            m.key.clone(),
                            Raw {
                                value: d.clone(),
                                range: Some(file.range(&m.value.span)),
                                origin: format!("the default of variable {:?}", m.key),
                            },
                        );
                    }
                    declared.push(Variable {
                        name: m.key.clone(),
                        type_expr: None,
                        default: default.map(Value::String),
                        value: Value::Null,
                        description: None,
                        sensitive: sensitive_names.contains(&m.key),
                        range: Some(key_range),
                    });
                }
            }
            None => diags.push(located(
                "Invalid \"variables\" section",
                format!(
                    "\"variables\" must be an object of name: default pairs, not an {}.",
                    vars.type_name()
                ),
                file.range(&vars.span),
            )),
        }
    }

    if !evaluate {
        for v in &mut declared {
            v.value = v.default.clone().unwrap_or_default();
        }
        return ResolvedVars {
            variables: declared,
            values: BTreeMap::new(),
        };
    }

    for path in &opts.var_files {
        read_var_file(path, opts, &mut raw, sources, diags);
    }
    for (name, value) in &opts.vars {
        raw.insert(
            name.clone(),
            Raw {
                value: value.clone(),
                range: None,
                origin: format!("-var {name}"),
            },
        );
    }

    // Declared variables without a value are reported as required below;
    // an empty placeholder keeps references to them from cascading.
    let unset: BTreeSet<String> = declared
        .iter()
        .filter(|v| !raw.contains_key(&v.name))
        .map(|v| v.name.clone())
        .collect();
    let values = render_all(&raw, &unset, base, diags);

    for v in &mut declared {
        match values.get(&v.name) {
            Some(val) if !unset.contains(&v.name) => v.value = Value::String(val.clone()),
            _ if unset.contains(&v.name) => {
                diags.push(
                    Diagnostic::error(
                        format!("required variable not set: {}", v.name),
                        format!(
                            "The variable {:?} has no default value (null); set it with -var '{}=…' or in a -var-file.",
                            v.name, v.name
                        ),
                    )
                    .with_range_opt(v.range.clone()),
                );
            }
            _ => {}
        }
    }

    ResolvedVars {
        variables: declared,
        values,
    }
}

fn sensitive_list(
    file: &FileCtx,
    node: Option<&JsonNode>,
    diags: &mut Diagnostics,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(node) = node else {
        return names;
    };
    let Some(items) = node.as_array() else {
        diags.push(located(
            "Invalid \"sensitive-variables\" section",
            format!(
                "\"sensitive-variables\" must be an array of variable names, not an {}.",
                node.type_name()
            ),
            file.range(&node.span),
        ));
        return names;
    };
    for item in items {
        match item.as_str() {
            Some(s) => {
                names.insert(s.to_string());
            }
            None => diags.push(located(
                "Invalid \"sensitive-variables\" entry",
                format!(
                    "Each entry must be a variable name (string), not an {}.",
                    item.type_name()
                ),
                file.range(&item.span),
            )),
        }
    }
    names
}

fn read_var_file(
    path: &Path,
    opts: &LoadOptions,
    raw: &mut BTreeMap<String, Raw>,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) {
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        opts.cwd.join(path)
    };
    let Some((vf, root)) = read_json_file(&full, &path.display().to_string(), sources, diags)
    else {
        return;
    };
    let Some(members) = root.as_object() else {
        diags.push(located(
            "Invalid variable file",
            format!(
                "A -var-file must hold one JSON object of name: value pairs, not an {}.",
                root.type_name()
            ),
            vf.range(&root.span),
        ));
        return;
    };
    for m in members {
        match weak_string(&m.value).filter(|_| matches!(m.value.kind, JsonKind::String(_))) {
            Some(value) => {
                raw.insert(
                    m.key.clone(),
                    Raw {
                        value,
                        range: Some(vf.range(&m.value.span)),
                        origin: format!("{} in {}", m.key, path.display()),
                    },
                );
            }
            None => diags.push(located(
                "Invalid variable value",
                format!(
                    "Variable {:?} in a -var-file must be a string, not an {} (Packer reads var files as a map of strings).",
                    m.key,
                    m.value.type_name()
                ),
                vf.range(&m.value.span),
            )),
        }
    }
}

/// Render all raw values; `{{user}}` references between variables are
/// resolved in dependency order.
///
/// Names in `unset` (and variables that fail) render as empty strings
/// where referenced: their own error is reported once.
fn render_all(
    raw: &BTreeMap<String, Raw>,
    unset: &BTreeSet<String>,
    base: &InterpContext,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut ctx = base.clone();
    ctx.enable_env = true;
    ctx.strict_user = true;
    ctx.clean_funcs = super::clean::CleanFuncs::Unavailable;
    ctx.defer_build = true;
    ctx.user_vars = unset.iter().map(|n| (n.clone(), String::new())).collect();
    let mut pending: BTreeSet<&String> = raw.keys().collect();
    let mut last_err: BTreeMap<&String, InterpError> = BTreeMap::new();
    loop {
        let mut progress = false;
        let names: Vec<&String> = pending.iter().copied().collect();
        for name in names {
            let r = &raw[name];
            match interpolate(&r.value, &ctx) {
                Ok(v) => {
                    ctx.user_vars.insert(name.clone(), v);
                    pending.remove(name);
                    last_err.remove(name);
                    progress = true;
                }
                Err(InterpError::UndefinedVariable(dep))
                    if raw.contains_key(&dep) && pending.contains(&dep) =>
                {
                    last_err.insert(name, InterpError::UndefinedVariable(dep));
                }
                Err(e) => {
                    diags.push(
                        Diagnostic::error(
                            format!("Failed to render variable {name:?}"),
                            format!("Error rendering {}: {e}", r.origin),
                        )
                        .with_range_opt(r.range.clone()),
                    );
                    ctx.user_vars.insert(name.clone(), String::new());
                    pending.remove(name);
                }
            }
        }
        if !progress || pending.is_empty() {
            break;
        }
    }
    for name in pending {
        let r = &raw[name];
        let why = last_err
            .get(name)
            .map(|e| e.to_string())
            .unwrap_or_else(|| "unresolvable reference".into());
        diags.push(
            Diagnostic::error(
                format!("Failed to render variable {name:?}"),
                format!(
                    "Error rendering {}: {why} (the variables refer to each other in a cycle).",
                    r.origin
                ),
            )
            .with_range_opt(r.range.clone()),
        );
        ctx.user_vars.insert(name.clone(), String::new());
    }
    ctx.user_vars
}
