//! `kiln inspect`: print a template's variables, locals and builds in
//! Packer's HCL2 inspect layout. Sensitive values show as `<sensitive>`.

use std::fmt::Write as _;

use anyhow::Context as _;
use std::path::PathBuf;

use kiln_lang::diag::render_text;
use kiln_lang::template::hcl2::Loaded;
use kiln_lang::template::load::{discover, load, TemplateFiles};
use kiln_lang::template::model::Variable;
use kiln_lang::template::Value;

use super::common::VarArgs;

#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// A template file or a directory of *.pkr.hcl files.
    pub path: PathBuf,
}

pub fn run(args: InspectArgs) -> anyhow::Result<u8> {
    let opts = args.vars.load_options()?;
    // Like Packer, inspecting a legacy JSON template does not evaluate it
    // (required variables may be unset).
    if let Ok(TemplateFiles::Json(p)) = discover(&args.path, &opts.cwd) {
        print!("{}", render_json_mode(&opts.cwd.join(p))?);
        return Ok(0);
    }
    let res = load(&args.path, &opts);
    // GitHub Actions hook (action branch): mask, annotate, summarize.
    let reported = crate::actions::report_loaded("inspect", &args.path, &res);
    if res.diags.has_errors() || res.loaded.is_none() {
        if !reported {
            eprint!("{}", render_text(&res.diags.0, &res.sources));
        }
        return Ok(1);
    }
    if let Some(loaded) = &res.loaded {
        print!("{}", render(loaded));
        crate::actions::inspect_summary(&render(loaded)); // GitHub Actions hook (action branch)
    }
    Ok(0)
}

/// A value as Packer's inspect prints it: strings quoted, unknowns as
/// `<unknown>`.
fn show(v: &Value) -> String {
    match v {
        Value::Unknown => "<unknown>".into(),
        Value::String(s) => format!("{s:?}"),
        other if other.is_unknown() => "<unknown>".into(),
        other => other.to_string(),
    }
}

fn show_var(v: &Variable) -> String {
    if v.sensitive {
        "\"<sensitive>\"".into()
    } else {
        show(&v.value)
    }
}

/// The inspect text of a loaded template.
pub fn render(loaded: &Loaded) -> String {
    let t = &loaded.template;
    let mut out = String::new();
    let _ = writeln!(out, "Packer Inspect: HCL2 mode\n");
    let _ = writeln!(out, "> input-variables:\n");
    let mut vars: Vec<&Variable> = t.variables.iter().collect();
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    for v in &vars {
        let _ = writeln!(out, "var.{}: {}", v.name, show_var(v));
    }
    if !vars.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "> local-variables:\n");
    for (k, v) in &t.locals {
        let shown = if loaded.sensitive_locals.contains(k) {
            "\"<sensitive>\"".to_string()
        } else {
            show(v)
        };
        let _ = writeln!(out, "local.{k}: {shown}");
    }
    if !t.locals.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "> builds:\n");
    for (i, b) in t.builds.iter().enumerate() {
        let name = match &b.name {
            Some(n) => n.clone(),
            None => format!("<unnamed build {i}>"),
        };
        let _ = writeln!(out, "  > {name}:\n");
        if let Some(d) = &b.description {
            let _ = writeln!(out, "    description: {d}\n");
        }
        let _ = writeln!(out, "    sources:\n");
        for s in &b.sources {
            let _ = writeln!(out, "      {}.{}", s.builder.type_name, s.build_name);
        }
        if b.sources.is_empty() {
            let _ = writeln!(out, "      <no source>");
        }
        let _ = writeln!(out, "\n    provisioners:\n");
        for p in &b.provisioners {
            let _ = writeln!(out, "      {}", p.component.type_name);
        }
        if b.provisioners.is_empty() {
            let _ = writeln!(out, "      <no provisioner>");
        }
        let _ = writeln!(out, "\n    post-processors:\n");
        for (ci, chain) in b.post_processors.iter().enumerate() {
            let _ = writeln!(out, "      {ci}:");
            for p in chain {
                let _ = writeln!(out, "        {}", p.component.type_name);
            }
        }
        if b.post_processors.is_empty() {
            let _ = writeln!(out, "      <no post-processor>");
        }
        out.push('\n');
    }
    out
}

/// Packer's inspect layout for legacy JSON templates, read straight from
/// the file (Packer does not evaluate the template for this).
fn render_json_mode(path: &std::path::Path) -> anyhow::Result<String> {
    use kiln_lang::template::json::parse::{parse, JsonKind};
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let root = parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid JSON at offset {}: {e}",
            path.display(),
            e.offset
        )
    })?;
    let mut out = String::from("Packer Inspect: JSON mode\n");
    let mut required = Vec::new();
    let mut optional = Vec::new();
    if let Some(vars) = root.get("variables").and_then(|m| m.value.as_object()) {
        for m in vars {
            match &m.value.kind {
                JsonKind::Null => required.push(m.key.clone()),
                _ => optional.push((
                    m.key.clone(),
                    m.value.to_value().to_display_string().unwrap_or_default(),
                )),
            }
        }
    }
    optional.sort();
    if required.is_empty() && optional.is_empty() {
        out.push_str("Variables:\n\n  <No variables>\n");
    } else {
        if !required.is_empty() {
            out.push_str("Required variables:\n\n");
            for v in &required {
                let _ = writeln!(out, "  {v}");
            }
            out.push('\n');
        }
        out.push_str("Optional variables and their defaults:\n\n");
        let width = optional.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in &optional {
            let _ = writeln!(out, "  {k:width$} = {v}");
        }
    }
    out.push_str("\nBuilders:\n\n");
    let builders = root
        .get("builders")
        .and_then(|m| m.value.as_array())
        .unwrap_or(&[]);
    if builders.is_empty() {
        out.push_str("  <No builders>\n");
    }
    for b in builders {
        let ty = b
            .get("type")
            .and_then(|m| m.value.as_str())
            .unwrap_or_default();
        match b.get("name").and_then(|m| m.value.as_str()) {
            Some(n) if n != ty => {
                let _ = writeln!(out, "  {n:<15} ({ty})");
            }
            _ => {
                let _ = writeln!(out, "  {ty}");
            }
        }
    }
    out.push_str("\nProvisioners:\n\n");
    let provs = root
        .get("provisioners")
        .and_then(|m| m.value.as_array())
        .unwrap_or(&[]);
    if provs.is_empty() {
        out.push_str("  <No provisioners>\n");
    }
    for p in provs {
        let _ = writeln!(
            out,
            "  {}",
            p.get("type")
                .and_then(|m| m.value.as_str())
                .unwrap_or_default()
        );
    }
    out.push_str(
        "\nNote: If your build names contain user variables or template\n\
         functions such as 'timestamp', these are processed at build time,\n\
         and therefore only show in their raw form here.\n",
    );
    Ok(out)
}
