//! `data "TYPE" "NAME" {}` blocks: decoded in dependency order (a data
//! source may refer to another one), validated against their schema, and
//! either executed (`-evaluate-datasources`: `null` here, the others
//! through the caller's [`DataSources`] table) or given an unknown output.

use std::collections::BTreeMap;

use hcl_edit::structure::Block;
use hcl_edit::Span;

use super::body::BodyEval;
use super::collect::TopLevel;
use super::ctx::{set_nested, EvalCtx};
use super::order::topo_order;
use super::parse::HclFile;
use crate::datasource::DataSources;
use crate::diag::{Diagnostic, Diagnostics};
use crate::template::eval::references;
use crate::template::model::{Component, ComponentKind, ConfigBody};
use crate::template::Value;

/// Evaluate data blocks into `ctx`'s `data` root; returns the components.
pub fn eval_data(
    top: &TopLevel<'_>,
    files: &[HclFile],
    ctx: &mut EvalCtx,
    execute: Option<&dyn DataSources>,
    diags: &mut Diagnostics,
) -> Vec<Component> {
    let mut blocks: BTreeMap<String, (usize, &Block)> = BTreeMap::new();
    let mut keys = Vec::new();
    for &(fi, block) in &top.data {
        let file = &files[fi].file;
        let header = block.ident.span().map(|s| file.range(s));
        let [ty, name] = block.labels.as_slice() else {
            diags.push(
                Diagnostic::error(
                    "Missing name for data source",
                    "A data block must have two labels: the data source type and its name, e.g. data \"amazon-ami\" \"base\" {}.",
                )
                .with_range_opt(header),
            );
            continue;
        };
        let key = format!("{}.{}", ty.as_str(), name.as_str());
        if blocks.contains_key(&key) {
            diags.push(
                Diagnostic::error(
                    "Duplicate data source",
                    format!("The data source \"{key}\" is defined more than once; data source names must be unique per type."),
                )
                .with_range_opt(name.span().map(|s| file.range(s))),
            );
            continue;
        }
        keys.push(key.clone());
        blocks.insert(key, (fi, block));
    }
    let deps: BTreeMap<String, Vec<String>> = blocks
        .iter()
        .map(|(key, (_, block))| {
            let mut ds = Vec::new();
            for a in block.body.attributes() {
                for r in references(&a.value) {
                    if let ("data", [t, n, ..]) = (r.root.as_str(), r.path.as_slice()) {
                        ds.push(format!("{t}.{n}"));
                    }
                }
            }
            ds.retain(|d| blocks.contains_key(d));
            (key.clone(), ds)
        })
        .collect();
    let (order, cycles) = topo_order(&deps, &keys);
    for c in cycles {
        let first = c.0.first().and_then(|k| blocks.get(k));
        let chain: Vec<String> = c.0.iter().map(|k| format!("data.{k}")).collect();
        diags.push(
            Diagnostic::error(
                "Cycle in data sources",
                format!(
                    "The data sources refer to each other in a cycle: {}.",
                    chain.join(" → ")
                ),
            )
            .with_range_opt(
                first.and_then(|(fi, b)| b.ident.span().map(|s| files[*fi].file.range(s))),
            ),
        );
    }
    let mut out = Vec::new();
    for key in order {
        let Some(&(fi, block)) = blocks.get(&key) else {
            continue;
        };
        let file = &files[fi].file;
        let [ty_label, name_label] = block.labels.as_slice() else {
            continue;
        };
        let (ty, name) = (ty_label.as_str(), name_label.as_str());
        let context = format!("data \"{ty}\" \"{name}\"");
        let mut config = BodyEval {
            file,
            context: &context,
            diags,
        }
        .eval(&block.body, ctx, &[]);
        if config.range.is_none() {
            config.range = block.ident.span().map(|s| file.range(s));
        }
        let component = Component {
            kind: ComponentKind::DataSource,
            type_name: ty.to_string(),
            name: Some(name.to_string()),
            type_range: ty_label.span().map(|s| file.range(s)),
            context,
            config,
        };
        let output = match execute.filter(|_| !component.config.to_value().is_unknown()) {
            Some(table) => match execute_one(table, &component) {
                Some(Ok(v)) => v,
                Some(Err(msg)) => {
                    diags.push(
                        Diagnostic::error("Data source failed", msg.to_string())
                            .with_range_opt(component.type_range.clone())
                            .with_context(component.context.clone()),
                    );
                    Value::Unknown
                }
                None => Value::Unknown,
            },
            None => Value::Unknown,
        };
        set_nested(&mut ctx.scope, "data", &[ty, name], output);
        out.push(component);
    }
    out
}

/// Run a data source: `null` here, the others through `table`; `None`
/// when neither runs it (its output stays unknown until build time).
fn execute_one(
    table: &dyn DataSources,
    c: &Component,
) -> Option<Result<Value, crate::datasource::DataSourceError>> {
    match c.type_name.as_str() {
        "null" => Some(Ok(null_output(&c.config))),
        other => table.execute(other, &c.config),
    }
}

/// The `null` data source returns its `input` as `output`.
fn null_output(config: &ConfigBody) -> Value {
    let mut m = BTreeMap::new();
    m.insert(
        "input".to_string(),
        config.get("input").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "output".to_string(),
        config.get("input").cloned().unwrap_or(Value::Null),
    );
    Value::Map(m)
}
