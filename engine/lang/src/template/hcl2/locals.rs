//! `locals {}` and `local "NAME" {}` blocks: collected, ordered by their
//! references to each other and evaluated. Cycles are reported with their
//! chain; duplicates are errors.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::Expression;
use hcl_edit::structure::Structure;
use hcl_edit::Span;

use super::collect::TopLevel;
use super::ctx::{set_nested, EvalCtx};
use super::order::topo_order;
use super::parse::HclFile;
use crate::diag::{Diagnostic, Diagnostics, Range};
use crate::template::eval::references;
use crate::template::Value;

/// One local definition.
struct LocalDef<'a> {
    file: usize,
    expr: &'a Expression,
    range: Option<Range>,
}

/// Evaluated locals and which of them are sensitive.
#[derive(Debug, Default)]
pub struct Locals {
    pub values: BTreeMap<String, Value>,
    pub sensitive: Vec<String>,
}

/// Locals are evaluated in two passes around data sources, so that data
/// sources may use locals and locals may use data sources (as long as
/// there is no cycle through both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Locals that do not depend on any data source (directly or through
    /// other locals); also reports duplicates and cycles.
    BeforeData,
    /// The remaining locals.
    AfterData,
}

/// Evaluate the locals of `phase` into `ctx`'s `local` root.
pub fn eval_locals(
    top: &TopLevel<'_>,
    files: &[HclFile],
    ctx: &mut EvalCtx,
    phase: Phase,
    diags: &mut Diagnostics,
) -> Locals {
    // Problems are reported once, in the first phase.
    let mut ignored = Diagnostics::new();
    let diags = match phase {
        Phase::BeforeData => diags,
        Phase::AfterData => &mut ignored,
    };
    let mut defs: BTreeMap<String, LocalDef<'_>> = BTreeMap::new();
    let mut keys = Vec::new();
    let mut out = Locals::default();
    for &(fi, block) in &top.locals {
        let file = &files[fi].file;
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => add(
                    &mut defs,
                    &mut keys,
                    a.key.as_str(),
                    LocalDef {
                        file: fi,
                        expr: &a.value,
                        range: a.key.span().map(|s| file.range(s)),
                    },
                    diags,
                ),
                Structure::Block(b) => diags.push(super::unsupported_block(b, file, "locals")),
            }
        }
    }
    for &(fi, block) in &top.local {
        let file = &files[fi].file;
        let header = block.ident.span().map(|s| file.range(s));
        let [label] = block.labels.as_slice() else {
            diags.push(
                Diagnostic::error(
                    "Missing name for local",
                    "A local block must have exactly one label: its name.",
                )
                .with_range_opt(header),
            );
            continue;
        };
        let name = label.as_str();
        let Some(expr) = block.body.get_attribute("expression") else {
            diags.push(
                Diagnostic::error(
                    "Missing required argument",
                    "The argument \"expression\" is required, but no definition was found.",
                )
                .with_range_opt(header)
                .with_context(format!("local \"{name}\"")),
            );
            continue;
        };
        if let Some(s) = block.body.get_attribute("sensitive") {
            if ctx.eval(&s.value, file, diags) == Value::Bool(true) {
                out.sensitive.push(name.to_string());
            }
        }
        add(
            &mut defs,
            &mut keys,
            name,
            LocalDef {
                file: fi,
                expr: &expr.value,
                range: label.span().map(|s| file.range(s)),
            },
            diags,
        );
    }

    let deps: BTreeMap<String, Vec<String>> = defs
        .iter()
        .map(|(name, def)| {
            let ds = references(def.expr)
                .into_iter()
                .filter(|r| r.root == "local")
                .filter_map(|r| r.path.first().cloned())
                .filter(|n| defs.contains_key(n))
                .collect();
            (name.clone(), ds)
        })
        .collect();
    let (order, cycles) = topo_order(&deps, &keys);
    // Which locals need a data source, directly or through other locals
    // (dependencies come first in `order`).
    let mut needs_data: BTreeSet<String> = BTreeSet::new();
    for name in &order {
        let Some(def) = defs.get(name) else { continue };
        let direct = references(def.expr).iter().any(|r| r.root == "data");
        let indirect = deps
            .get(name)
            .is_some_and(|ds| ds.iter().any(|d| needs_data.contains(d)));
        if direct || indirect {
            needs_data.insert(name.clone());
        }
    }
    if phase == Phase::AfterData {
        out.sensitive.clear();
    }
    for c in cycles {
        let first = c.0.first().and_then(|n| defs.get(n));
        let chain: Vec<String> = c.0.iter().map(|n| format!("local.{n}")).collect();
        diags.push(
            Diagnostic::error(
                "Cycle in local variables",
                format!(
                    "The local variables refer to each other in a cycle: {}.",
                    chain.join(" → ")
                ),
            )
            .with_range_opt(first.and_then(|d| d.range.clone())),
        );
    }
    for name in order {
        if needs_data.contains(&name) != (phase == Phase::AfterData) {
            continue;
        }
        let Some(def) = defs.get(&name) else { continue };
        let value = ctx.eval(def.expr, &files[def.file].file, diags);
        set_nested(&mut ctx.scope, "local", &[name.as_str()], value.clone());
        out.values.insert(name, value);
    }
    out
}

fn add<'a>(
    defs: &mut BTreeMap<String, LocalDef<'a>>,
    keys: &mut Vec<String>,
    name: &str,
    def: LocalDef<'a>,
    diags: &mut Diagnostics,
) {
    if let Some(prev) = defs.get(name) {
        let prev_at = prev
            .range
            .as_ref()
            .map(|r| format!(" at {}:{}", r.filename, r.start.line))
            .unwrap_or_default();
        diags.push(
            Diagnostic::error(
                "Duplicate local definition",
                format!("The local \"{name}\" was already defined{prev_at}. Local names must be unique."),
            )
            .with_range_opt(def.range),
        );
        return;
    }
    keys.push(name.to_string());
    defs.insert(name.to_string(), def);
}
