//! Decoding `variable "NAME" {}` and `variables {}` blocks into
//! declarations (type constraint, default, validations, sensitivity).
//! Their final values are assigned by [`crate::template::vars`].

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};
use hcl_edit::Span;

use super::ctx::EvalCtx;
use crate::diag::{Diagnostic, Diagnostics, Range, SourceFile};
use crate::template::types::{convert, Type};
use crate::template::Value;

/// One `validation {}` block of a variable.
#[derive(Debug, Clone)]
pub struct Validation {
    pub file: usize,
    pub condition: Expression,
    pub error_message: Expression,
}

/// A declared input variable, before values are assigned.
#[derive(Debug, Clone)]
pub struct VarDecl {
    pub name: String,
    pub ty: Option<Type>,
    /// The type constraint as written.
    pub type_text: Option<String>,
    pub default: Option<Value>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub validations: Vec<Validation>,
    /// The block header (or the attribute name in `variables {}`).
    pub range: Option<Range>,
}

impl VarDecl {
    fn new(name: &str, range: Option<Range>) -> Self {
        VarDecl {
            name: name.to_string(),
            ty: None,
            type_text: None,
            default: None,
            description: None,
            sensitive: false,
            validations: Vec::new(),
            range,
        }
    }
}

/// Decode a `variable "NAME" {}` block. Defaults are evaluated in `ctx`
/// (functions only, no variables) and converted to the type constraint.
pub fn decode_variable(
    block: &Block,
    file_idx: usize,
    file: &SourceFile,
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> Option<VarDecl> {
    let header = block.ident.span().map(|s| file.range(s));
    let [label] = block.labels.as_slice() else {
        diags.push(
            Diagnostic::error(
                "Missing name for variable",
                "All variable blocks must have exactly one label: the variable's name.",
            )
            .with_range_opt(header),
        );
        return None;
    };
    let name = label.as_str();
    let context = format!("variable \"{name}\"");
    let range = label.span().map(|s| file.range(s));
    if !is_valid_name(name) {
        diags.push(
            Diagnostic::error(
                "Invalid variable name",
                "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.",
            )
            .with_range_opt(range.clone()),
        );
    }
    let mut decl = VarDecl::new(name, range);
    let mut default_expr = None;
    for s in block.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let key = a.key.as_str();
                let err_at = |summary: &str, detail: String| {
                    Diagnostic::error(summary, detail)
                        .with_range_opt(a.value.span().map(|s| file.range(s)))
                        .with_context(context.clone())
                };
                match key {
                    "type" => match Type::from_expr(&a.value) {
                        Ok(t) => {
                            decl.ty = Some(t);
                            decl.type_text = a
                                .value
                                .span()
                                .and_then(|s| file.text().get(s))
                                .map(str::to_string);
                        }
                        Err(e) => diags.push(
                            Diagnostic::error("Invalid type specification", e.message.clone())
                                .with_range_opt(
                                    e.span.or_else(|| a.value.span()).map(|s| file.range(s)),
                                )
                                .with_context(context.clone()),
                        ),
                    },
                    "default" => default_expr = Some(a),
                    "description" => match ctx.eval(&a.value, file, diags) {
                        Value::String(s) => decl.description = Some(s),
                        Value::Unknown => {}
                        other => diags.push(err_at(
                            "Invalid description",
                            format!(
                                "The description must be a string, not {}.",
                                other.type_name()
                            ),
                        )),
                    },
                    "sensitive" => match ctx.eval(&a.value, file, diags) {
                        Value::Bool(b) => decl.sensitive = b,
                        Value::Unknown => {}
                        other => diags.push(err_at(
                            "Invalid sensitive value",
                            format!("sensitive must be a bool, not {}.", other.type_name()),
                        )),
                    },
                    "nullable" => {
                        let _ = ctx.eval(&a.value, file, diags);
                    }
                    other => diags.push(
                        Diagnostic::error(
                            "Unsupported argument",
                            format!("An argument named \"{other}\" is not expected here."),
                        )
                        .with_range_opt(a.key.span().map(|s| file.range(s)))
                        .with_context(context.clone()),
                    ),
                }
            }
            Structure::Block(b) if b.ident.as_str() == "validation" => {
                let cond = b.body.get_attribute("condition");
                let msg = b.body.get_attribute("error_message");
                match (cond, msg) {
                    (Some(c), Some(m)) => decl.validations.push(Validation {
                        file: file_idx,
                        condition: c.value.clone(),
                        error_message: m.value.clone(),
                    }),
                    _ => diags.push(
                        Diagnostic::error(
                            "Missing required argument",
                            "A validation block requires both \"condition\" and \"error_message\".",
                        )
                        .with_range_opt(b.ident.span().map(|s| file.range(s)))
                        .with_context(context.clone()),
                    ),
                }
            }
            Structure::Block(b) => diags.push(super::unsupported_block(b, file, context.clone())),
        }
    }
    if let Some(a) = default_expr {
        let value = ctx.eval(&a.value, file, diags);
        decl.default = Some(match &decl.ty {
            Some(t) if !value.is_unknown() && !value.is_null() => match convert(&value, t) {
                Ok(v) => v,
                Err(e) => {
                    diags.push(
                        Diagnostic::error(
                            "Invalid default value for variable",
                            format!("This default value is not compatible with the variable's type constraint: {e}."),
                        )
                        .with_range_opt(a.value.span().map(|s| file.range(s)))
                        .with_context(context.clone()),
                    );
                    value
                }
            },
            _ => value,
        });
    }
    Some(decl)
}

/// Decode the legacy `variables { NAME = DEFAULT }` block.
pub fn decode_variables_block(
    block: &Block,
    file: &SourceFile,
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> Vec<VarDecl> {
    let mut out = Vec::new();
    for s in block.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let mut decl = VarDecl::new(a.key.as_str(), a.key.span().map(|s| file.range(s)));
                decl.default = Some(ctx.eval(&a.value, file, diags));
                out.push(decl);
            }
            Structure::Block(b) => diags.push(super::unsupported_block(b, file, "variables")),
        }
    }
    out
}

/// HCL identifiers: a letter or `_`, then letters, digits, `_` and `-`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}
