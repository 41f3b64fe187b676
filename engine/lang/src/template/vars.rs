//! Input variable values for HCL2 templates, in Packer's precedence order
//! (lowest first): defaults, `PKR_VAR_NAME` environment variables,
//! `*.auto.pkrvars.hcl` / `*.auto.pkrvars.json` in the template directory
//! (alphabetical), `-var-file` files (in order), `-var` flags (in order).
//!
//! Values from the environment and `-var` are strings; for variables whose
//! type is not `string` they are parsed as HCL expressions, as Packer does.
//! Every value is converted to the variable's type constraint, then the
//! variable's `validation` blocks run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::structure::Structure;
use hcl_edit::Span;

use crate::diag::{Diagnostic, Diagnostics, Range, SourceFile, Sources};
use crate::template::hcl2::ctx::EvalCtx;
use crate::template::hcl2::parse::read_hcl_file;
use crate::template::hcl2::variables::VarDecl;
use crate::template::json::parse_json_bytes;
use crate::template::types::{convert, Type};
use crate::template::{LoadOptions, Value};

/// Where a value came from, for messages.
#[derive(Debug, Clone)]
struct Assigned {
    value: Value,
    range: Option<Range>,
    origin: String,
}

/// The `*.auto.pkrvars.hcl` / `.json` files of a directory, sorted.
pub fn auto_var_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.ends_with(".auto.pkrvars.hcl") || n.ends_with(".auto.pkrvars.json")
            })
        })
        .collect();
    files.sort();
    files
}

/// Assign final values to `decls`. `auto_dir` is the template directory
/// when a directory was loaded. Returns `var.*` as a map.
pub fn assign_values(
    decls: &mut [VarDecl],
    auto_dir: Option<&Path>,
    opts: &LoadOptions,
    base: &EvalCtx,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Value> {
    let mut assigned: BTreeMap<String, Assigned> = BTreeMap::new();
    let index: BTreeMap<String, usize> = decls
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.clone(), i))
        .collect();

    // Environment.
    for (key, raw) in &opts.env {
        let Some(name) = key.strip_prefix("PKR_VAR_") else {
            continue;
        };
        let Some(&i) = index.get(name) else { continue };
        let origin = format!("environment variable {key}");
        if let Some(value) = parse_raw(raw, decls[i].ty.as_ref(), &origin, base, diags) {
            assigned.insert(
                name.to_string(),
                Assigned {
                    value,
                    range: None,
                    origin,
                },
            );
        }
    }

    // Var files: auto files first, then -var-file in order.
    let mut files: Vec<PathBuf> = auto_dir.map(auto_var_files).unwrap_or_default();
    files.extend(opts.var_files.iter().map(|p| {
        if p.is_absolute() {
            p.clone()
        } else {
            opts.cwd.join(p)
        }
    }));
    for path in files {
        for (name, a) in read_var_file(&path, base, sources, diags) {
            if !index.contains_key(&name) {
                if !opts.no_warn_undeclared_var {
                    diags.push(
                        Diagnostic::warning(
                            "Undefined variable",
                            format!(
                                "A \"{name}\" variable was set but was not declared. To declare variable \"{name}\", \
                                 place this block in one of your .pkr.hcl files, such as variables.pkr.hcl"
                            ),
                        )
                        .with_range_opt(a.range.clone()),
                    );
                }
                continue;
            }
            assigned.insert(name, a);
        }
    }

    // -var flags.
    for (name, raw) in &opts.vars {
        let Some(&i) = index.get(name.as_str()) else {
            diags.push(Diagnostic::error(
                "Undefined -var variable",
                format!(
                    "A \"{name}\" variable was passed in the command line but was not found in known variables. \
                     To declare variable \"{name}\", place this block in one of your .pkr files, such as variables.pkr.hcl"
                ),
            ));
            continue;
        };
        let origin = format!("-var \"{name}=…\"");
        if let Some(value) = parse_raw(raw, decls[i].ty.as_ref(), &origin, base, diags) {
            assigned.insert(
                name.clone(),
                Assigned {
                    value,
                    range: None,
                    origin,
                },
            );
        }
    }

    let mut values = BTreeMap::new();
    for decl in decls.iter() {
        let value = match assigned.remove(&decl.name) {
            Some(a) => match &decl.ty {
                Some(t) if !a.value.is_unknown() => match convert(&a.value, t) {
                    Ok(v) => v,
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(
                                "Invalid value for variable",
                                format!(
                                    "The value for variable \"{}\" from {} is not compatible with the \
                                     variable's type constraint: {e}.",
                                    decl.name, a.origin
                                ),
                            )
                            .with_range_opt(a.range.or_else(|| decl.range.clone())),
                        );
                        Value::Unknown
                    }
                },
                _ => a.value,
            },
            None => match &decl.default {
                Some(v) => v.clone(),
                None => {
                    diags.push(
                        Diagnostic::error(
                            format!("Unset variable \"{}\"", decl.name),
                            "A used variable must be set or have a default value; see \
                             https://packer.io/docs/templates/hcl_templates/syntax for details.",
                        )
                        .with_range_opt(decl.range.clone()),
                    );
                    Value::Unknown
                }
            },
        };
        values.insert(decl.name.clone(), value);
    }
    values
}

/// Parse a string value from the environment or `-var`.
fn parse_raw(
    raw: &str,
    ty: Option<&Type>,
    origin: &str,
    base: &EvalCtx,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match ty {
        None | Some(Type::String) => Some(Value::from(raw)),
        Some(_) => {
            let file = SourceFile::new(format!("<value for {origin}>"), raw);
            match hcl_edit::parser::parse_expr(raw) {
                Ok(expr) => match base.try_eval(&expr, &file) {
                    Ok(v) => Some(v),
                    Err(errs) => {
                        diags.extend(errs.into_iter().map(|d| Diagnostic { range: None, ..d }));
                        None
                    }
                },
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "Invalid expression for variable value",
                        format!(
                            "The value from {origin} is not a valid HCL expression: {}.",
                            e.message()
                        ),
                    ));
                    None
                }
            }
        }
    }
}

/// Read a `.pkrvars.hcl` or `.json` var file into name → value.
fn read_var_file(
    path: &Path,
    base: &EvalCtx,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Vec<(String, Assigned)> {
    let name = path.display().to_string();
    let origin = format!("file {name}");
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "Failed to read var file",
                    format!("Error reading {name}: {e}"),
                ));
                return Vec::new();
            }
        };
        let Some((file, root)) = parse_json_bytes(&bytes, &name, sources, diags) else {
            return Vec::new();
        };
        let Some(members) = root.as_object() else {
            diags.push(
                Diagnostic::error(
                    "Invalid var file",
                    "A JSON var file must contain one object.",
                )
                .with_range(file.range(&root.span)),
            );
            return Vec::new();
        };
        return members
            .iter()
            .map(|m| {
                let a = Assigned {
                    value: m.value.to_value(),
                    range: Some(file.range(&m.key_span)),
                    origin: origin.clone(),
                };
                (m.key.clone(), a)
            })
            .collect();
    }
    let parsed = match read_hcl_file(path, &name, sources) {
        Ok(p) => p,
        Err(d) => {
            diags.push(d);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for s in parsed.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let value = base.eval(&a.value, &parsed.file, diags);
                out.push((
                    a.key.as_str().to_string(),
                    Assigned {
                        value,
                        range: a.key.span().map(|s| parsed.file.range(s)),
                        origin: origin.clone(),
                    },
                ));
            }
            Structure::Block(b) => diags.push(
                Diagnostic::error(
                    "Unexpected block in var file",
                    format!(
                        "Var files may only set variables; blocks of type \"{}\" are not allowed.",
                        b.ident.as_str()
                    ),
                )
                .with_range_opt(b.ident.span().map(|s| parsed.file.range(s))),
            ),
        }
    }
    out
}

/// Run every `validation {}` block of the declared variables.
pub fn run_validations(
    decls: &[VarDecl],
    values: &BTreeMap<String, Value>,
    files: &[SourceFile],
    base: &EvalCtx,
    diags: &mut Diagnostics,
) {
    for decl in decls {
        let Some(value) = values.get(&decl.name) else {
            continue;
        };
        if decl.validations.is_empty() || value.is_unknown() {
            continue;
        }
        let mut ctx = base.clone();
        let mut var = BTreeMap::new();
        var.insert(decl.name.clone(), value.clone());
        ctx.scope.set("var", Value::Map(var));
        ctx.declared_vars = std::iter::once(decl.name.clone()).collect();
        for v in &decl.validations {
            let Some(file) = files.get(v.file) else {
                continue;
            };
            let range = v.condition.span().map(|s| file.range(s));
            match ctx.eval(&v.condition, file, diags) {
                Value::Bool(true) | Value::Unknown => {}
                Value::Bool(false) => {
                    let msg = ctx
                        .eval(&v.error_message, file, diags)
                        .to_display_string()
                        .unwrap_or_else(|| "The variable's value is invalid.".into());
                    diags.push(
                        Diagnostic::error(
                            "Invalid value for variable",
                            format!("{msg}\n\nThis was checked by the validation rule."),
                        )
                        .with_range_opt(range)
                        .with_context(format!("variable \"{}\"", decl.name)),
                    );
                }
                other => diags.push(
                    Diagnostic::error(
                        "Invalid variable validation result",
                        format!(
                            "Validation condition must be a bool, not {}.",
                            other.type_name()
                        ),
                    )
                    .with_range_opt(range),
                ),
            }
        }
    }
}
