//! Top-level `source "TYPE" "NAME" {}` blocks: collected (duplicates and
//! missing labels are errors) and evaluated with `source.{type,name}`.

use std::collections::BTreeMap;

use hcl_edit::structure::Block;
use hcl_edit::Span;

use super::body::BodyEval;
use super::collect::TopLevel;
use super::ctx::EvalCtx;
use super::parse::HclFile;
use crate::diag::{Diagnostic, Diagnostics, Range};
use crate::template::model::{Component, ComponentKind, ConfigBody};

/// A top-level source: where it is and its evaluated configuration.
#[derive(Debug, Clone)]
pub struct SourceDef<'a> {
    /// Index of the file declaring it.
    pub file: usize,
    /// The `source` block.
    pub block: &'a Block,
    /// The builder with its evaluated configuration.
    pub component: Component,
    /// Referenced by at least one build.
    pub used: bool,
}

/// Sources by `TYPE.NAME`, in declaration order of their keys.
pub type SourceMap<'a> = BTreeMap<String, SourceDef<'a>>;

/// Evaluate every top-level `source` block (with `source.type` and
/// `source.name` set), reporting missing labels and duplicates.
pub fn eval_sources<'a>(
    top: &TopLevel<'a>,
    files: &[HclFile],
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> SourceMap<'a> {
    let mut out = SourceMap::new();
    for &(fi, block) in &top.sources {
        let file = &files[fi].file;
        let header = block.ident.span().map(|s| file.range(s));
        let (ty, name) = match block.labels.as_slice() {
            [ty, name] => (ty, name),
            [ty] => {
                diags.push(
                    Diagnostic::error(
                        "Missing name for source",
                        format!(
                            "A source block must have two labels: the builder type and a name, e.g. source \"{}\" \"example\" {{}}.",
                            ty.as_str()
                        ),
                    )
                    .with_range_opt(ty.span().map(|s| file.range(s)).or(header)),
                );
                continue;
            }
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Missing source type and name",
                        "A source block must have two labels: the builder type and a name, e.g. source \"null\" \"example\" {}.",
                    )
                    .with_range_opt(header),
                );
                continue;
            }
        };
        let key = format!("{}.{}", ty.as_str(), name.as_str());
        if let Some(prev) = out.get(&key) {
            let prev_at = prev
                .component
                .type_range
                .as_ref()
                .map(|r| format!(" at {}:{}", r.filename, r.start.line))
                .unwrap_or_default();
            diags.push(
                Diagnostic::error(
                    "Duplicate source block",
                    format!("This source block has the same builder type and name as a previous block{prev_at}: {key}."),
                )
                .with_range_opt(name.span().map(|s| file.range(s))),
            );
            continue;
        }
        let context = format!("source \"{}\" \"{}\"", ty.as_str(), name.as_str());
        let sctx = ctx.with_source(Some((ty.as_str(), name.as_str())));
        let mut config = BodyEval {
            file,
            context: &context,
            diags,
        }
        .eval(&block.body, &sctx, &[]);
        if config.range.is_none() {
            config.range = block.ident.span().map(|s| file.range(s));
        }
        let component = Component {
            kind: ComponentKind::Builder,
            type_name: ty.as_str().to_string(),
            name: Some(name.as_str().to_string()),
            type_range: ty.span().map(|s| file.range(s)),
            context,
            config,
        };
        out.insert(
            key,
            SourceDef {
                file: fi,
                block,
                component,
                used: false,
            },
        );
    }
    out
}

/// Merge in-build overrides into a source's configuration: attributes
/// replace, and nested blocks of a type replace all blocks of that type.
pub fn merge_config(base: &ConfigBody, over: ConfigBody) -> ConfigBody {
    let mut merged = base.clone();
    let over_kinds: Vec<&str> = over.blocks.iter().map(|b| b.kind.as_str()).collect();
    merged
        .blocks
        .retain(|b| !over_kinds.contains(&b.kind.as_str()));
    merged.blocks.extend(over.blocks.iter().cloned());
    merged.attrs.extend(over.attrs);
    merged
}

/// Packer's "Unknown source" diagnostic for a build's reference.
pub fn unknown_source(reference: &str, known: &SourceMap<'_>, range: Option<Range>) -> Diagnostic {
    let list: Vec<&str> = known.keys().map(String::as_str).collect();
    let hint = crate::schema::suggest::did_you_mean(reference, list.iter().copied());
    let known_text = if list.is_empty() {
        "No sources are defined.".to_string()
    } else {
        format!("Known sources: {}.", list.join(", "))
    };
    Diagnostic::error(
        format!("Unknown source {reference}"),
        format!("A build refers to source \"{reference}\", but no source block of that type and name is defined.{hint} {known_text}"),
    )
    .with_range_opt(range)
}
