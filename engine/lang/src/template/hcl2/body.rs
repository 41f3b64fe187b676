//! Evaluating a component's configuration body (`source`, `provisioner`,
//! `data`, …) into a located [`ConfigBody`], expanding `dynamic` blocks.

use std::collections::BTreeMap;

use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span;

use super::ctx::{expr_ident, EvalCtx};
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::template::model::{ConfigAttr, ConfigBlock, ConfigBody};
use crate::template::Value;

/// How deeply `dynamic` blocks may nest inside each other.
const MAX_DYNAMIC_DEPTH: usize = 32;

/// Evaluates bodies of one file.
pub struct BodyEval<'a> {
    pub file: &'a SourceFile,
    pub context: &'a str,
    pub diags: &'a mut Diagnostics,
}

impl BodyEval<'_> {
    /// Evaluate every attribute and block of `body`, except the attribute
    /// and block names in `skip` (the front end's meta-arguments).
    pub fn eval(&mut self, body: &Body, ctx: &EvalCtx, skip: &[&str]) -> ConfigBody {
        self.eval_depth(body, ctx, skip, 0)
    }

    fn eval_depth(
        &mut self,
        body: &Body,
        ctx: &EvalCtx,
        skip: &[&str],
        depth: usize,
    ) -> ConfigBody {
        let mut out = ConfigBody {
            range: body.span().map(|s| self.file.range(s)),
            ..ConfigBody::default()
        };
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    if skip.contains(&name) {
                        continue;
                    }
                    let name_range = attr.key.span().map(|s| self.file.range(s));
                    if out.attrs.contains_key(name) {
                        self.diags.push(
                            Diagnostic::error(
                                "Attribute redefined",
                                format!("The argument \"{name}\" was already set. Each argument may be set only once."),
                            )
                            .with_range_opt(name_range)
                            .with_context(self.context),
                        );
                        continue;
                    }
                    let value = ctx.eval(&attr.value, self.file, self.diags);
                    out.attrs.insert(
                        name.to_string(),
                        ConfigAttr {
                            value,
                            name_range,
                            value_range: attr.value.span().map(|s| self.file.range(s)),
                        },
                    );
                }
                Structure::Block(block) => {
                    let kind = block.ident.as_str();
                    if skip.contains(&kind) {
                        continue;
                    }
                    if kind == "dynamic" {
                        let expanded = self.dynamic(block, ctx, depth);
                        out.blocks.extend(expanded);
                    } else {
                        out.blocks.push(ConfigBlock {
                            kind: kind.to_string(),
                            labels: block
                                .labels
                                .iter()
                                .map(|l| l.as_str().to_string())
                                .collect(),
                            body: self.eval_depth(&block.body, ctx, &[], depth),
                            range: block.ident.span().map(|s| self.file.range(s)),
                        });
                    }
                }
            }
        }
        out
    }

    fn error(&mut self, summary: &str, detail: String, span: Option<std::ops::Range<usize>>) {
        self.diags.push(
            Diagnostic::error(summary, detail)
                .with_range_opt(span.map(|s| self.file.range(s)))
                .with_context(self.context),
        );
    }

    /// Expand `dynamic "TYPE" { for_each, iterator, labels, content {} }`.
    fn dynamic(&mut self, block: &Block, ctx: &EvalCtx, depth: usize) -> Vec<ConfigBlock> {
        if depth >= MAX_DYNAMIC_DEPTH {
            self.error(
                "Dynamic blocks nested too deeply",
                format!("dynamic blocks may be nested at most {MAX_DYNAMIC_DEPTH} levels deep."),
                block.ident.span(),
            );
            return Vec::new();
        }
        let Some(spec) = self.dynamic_spec(block, ctx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (inner, labels) in spec.items {
            out.push(ConfigBlock {
                kind: spec.kind.clone(),
                labels,
                body: self.eval_depth(spec.content, &inner, &[], depth + 1),
                range: spec.range.clone(),
            });
        }
        out
    }

    /// Decode a `dynamic` block: its generated block type, and for each
    /// element of `for_each` the context (with the iterator set) and labels.
    pub fn dynamic_spec<'b>(&mut self, block: &'b Block, ctx: &EvalCtx) -> Option<DynamicSpec<'b>> {
        let [label] = block.labels.as_slice() else {
            self.error(
                "Invalid dynamic block",
                "A dynamic block must have exactly one label: the type of block it generates."
                    .into(),
                block.ident.span(),
            );
            return None;
        };
        let kind = label.as_str().to_string();
        let range = label.span().map(|s| self.file.range(s));
        let mut iterator = kind.clone();
        let mut for_each = None;
        let mut labels_expr = None;
        let mut content = None;
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "for_each" => for_each = Some(&a.value),
                    "labels" => labels_expr = Some(&a.value),
                    "iterator" => match expr_ident(&a.value) {
                        Some(name) => iterator = name,
                        None => self.error(
                            "Invalid dynamic iterator name",
                            "Dynamic iterator must be a single variable name.".into(),
                            a.value.span(),
                        ),
                    },
                    other => self.error(
                        "Unsupported argument",
                        format!("An argument named \"{other}\" is not expected here."),
                        a.key.span(),
                    ),
                },
                Structure::Block(b) if b.ident.as_str() == "content" => {
                    if content.is_some() {
                        self.error(
                            "Duplicate content block",
                            "Only one \"content\" block is allowed in a dynamic block.".into(),
                            b.ident.span(),
                        );
                    }
                    content = Some(&b.body);
                }
                Structure::Block(b) => self.error(
                    "Unsupported block type",
                    format!(
                        "Blocks of type \"{}\" are not expected here.",
                        b.ident.as_str()
                    ),
                    b.ident.span(),
                ),
            }
        }
        let Some(for_each) = for_each else {
            self.error(
                "Missing required argument",
                "The argument \"for_each\" is required, but no definition was found.".into(),
                block.ident.span(),
            );
            return None;
        };
        let Some(content) = content else {
            self.error(
                "Missing content block",
                "A dynamic block must have a nested block of type \"content\".".into(),
                block.ident.span(),
            );
            return None;
        };
        let collection = ctx.eval(for_each, self.file, self.diags);
        let pairs: Vec<(Value, Value)> = match collection {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v))
                .collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            Value::Unknown => Vec::new(),
            Value::Null => {
                self.error(
                    "Invalid dynamic for_each value",
                    "Cannot use a null value in for_each.".into(),
                    for_each.span(),
                );
                return None;
            }
            other => {
                self.error(
                    "Invalid dynamic for_each value",
                    format!(
                        "Cannot use a {} value in for_each. An iterable collection is required.",
                        other.type_name()
                    ),
                    for_each.span(),
                );
                return None;
            }
        };
        let mut items = Vec::new();
        for (key, value) in pairs {
            let mut inner = ctx.clone();
            let mut it = BTreeMap::new();
            it.insert("key".to_string(), key);
            it.insert("value".to_string(), value);
            inner.scope.set(&iterator, Value::Map(it));
            let labels = match labels_expr {
                Some(e) => match inner.eval(e, self.file, self.diags) {
                    Value::List(ls) => ls.iter().filter_map(Value::to_display_string).collect(),
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
            items.push((inner, labels));
        }
        Some(DynamicSpec {
            kind,
            range,
            content,
            items,
        })
    }
}

/// A decoded `dynamic` block.
pub struct DynamicSpec<'b> {
    /// The type of the generated blocks.
    pub kind: String,
    /// The type label's range.
    pub range: Option<crate::diag::Range>,
    pub content: &'b Body,
    /// Per element: the context with the iterator set, and the labels.
    pub items: Vec<(EvalCtx, Vec<String>)>,
}
