//! Build-time rendering of a legacy JSON component: every string of its
//! configuration goes through the Go-template engine with the build's
//! context (`{{build_name}}`, `{{timestamp}}`, `{{user}}`…).

use crate::template::model::{Component, ConfigBody};
use crate::template::Value;

use super::clean::CleanFuncs;
use super::interpolate::{interpolate, InterpContext, InterpError};

/// Render `c`'s configuration for the build `build_name` of builder type
/// `build_type`. `{{ build `X` }}` and `{{ .Field }}` stay as written: the
/// runner fills in `build` from the builder's generated data, components
/// their own fields.
pub fn render_component(
    c: &Component,
    base: &InterpContext,
    build_name: &str,
    build_type: &str,
) -> Result<Component, InterpError> {
    let mut ctx = base.clone();
    ctx.defer_build = false;
    ctx.defer_build_data = true;
    ctx.build_name = Some(build_name.to_string());
    ctx.build_type = Some(build_type.to_string());
    ctx.clean_funcs = CleanFuncs::for_builder(build_type);
    let mut out = c.clone();
    let runtime = runtime_fields(&c.type_name);
    let mut deferred = ctx.clone();
    deferred.defer_build = true;
    for (name, attr) in out.config.attrs.iter_mut() {
        let cx = if runtime.contains(&name.as_str()) {
            &deferred
        } else {
            &ctx
        };
        render_value(&mut attr.value, cx)?;
    }
    for block in &mut out.config.blocks {
        render_body(&mut block.body, &ctx)?;
    }
    Ok(out)
}

/// Fields a component renders itself while it runs (Packer's
/// `InterpolateFilter.Exclude`): `{{ .Vars }}`, `{{ .Path }}`,
/// `{{ .HostAlias }}`… and other build-time actions stay as written.
fn runtime_fields(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "shell" | "shell-local" | "windows-shell" | "powershell" => &["execute_command"],
        "ansible" => &["inventory_file_template"],
        _ => &[],
    }
}

fn render_body(body: &mut ConfigBody, ctx: &InterpContext) -> Result<(), InterpError> {
    for attr in body.attrs.values_mut() {
        render_value(&mut attr.value, ctx)?;
    }
    for block in &mut body.blocks {
        render_body(&mut block.body, ctx)?;
    }
    Ok(())
}

fn render_value(v: &mut Value, ctx: &InterpContext) -> Result<(), InterpError> {
    match v {
        Value::String(s) => *s = interpolate(s, ctx)?,
        Value::List(items) => {
            for item in items {
                render_value(item, ctx)?;
            }
        }
        Value::Map(m) => {
            for item in m.values_mut() {
                render_value(item, ctx)?;
            }
        }
        _ => {}
    }
    Ok(())
}
