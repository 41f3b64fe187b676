//! `kiln init PATH`: kiln's plugins are built in, so init only checks that
//! every `packer { required_plugins {} }` entry is served by a built-in
//! plugin at a satisfying version. No network access. Like `packer init`
//! with everything installed, it prints nothing on success; each missing
//! plugin is an error naming it (exit 1).

use std::path::PathBuf;

use kiln_lang::diag::{render_text, Diagnostic, Diagnostics};
use kiln_lang::schema::check_required_plugin;
use kiln_lang::template::load::{discover, load, TemplateFiles};
use kiln_lang::template::LoadOptions;

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Accepted for compatibility with `packer init -upgrade` (no effect:
    /// plugins are built in).
    #[arg(long = "upgrade")]
    pub upgrade: bool,
    /// A template file or a directory of *.pkr.hcl files.
    pub path: PathBuf,
}

pub fn run(args: InitArgs) -> anyhow::Result<u8> {
    let mut opts = LoadOptions::from_process()?;
    opts.aws_secrets = Some(kiln_build::aws_secrets());
    if let Ok(TemplateFiles::Json(_)) = discover(&args.path, &opts.cwd) {
        let d = Diagnostic::warning(
            "Init is not supported for legacy JSON templates",
            "Legacy JSON templates do not declare required plugins; kiln's plugins are built in.",
        );
        eprint!("{}", render_text(&[d], &Default::default()));
        return Ok(0);
    }
    let res = load(&args.path, &opts);
    let Some(loaded) = res.loaded else {
        // GitHub Actions hook (action branch): annotate.
        if !crate::actions::report_loaded("init", &args.path, &res) {
            eprint!("{}", render_text(&res.diags.0, &res.sources));
        }
        return Ok(1);
    };
    let mut diags = Diagnostics::new();
    // Problems in the packer block itself (bad required_plugins entries,
    // required_version) matter to init; the rest is validate's business.
    diags.extend(
        res.diags
            .iter()
            .filter(|d| d.is_error() && d.context.as_deref() == Some("packer"))
            .cloned(),
    );
    for p in &loaded.template.required_plugins {
        if let Err(d) = check_required_plugin(p) {
            diags.push(d);
        }
    }
    if let Some(gh) = crate::actions::mode() {
        // GitHub Actions hook (action branch): annotate, summarize.
        crate::actions::report_diagnostics(gh, "init", &args.path, &diags.0, &res.sources);
    } else if !diags.is_empty() {
        eprint!("{}", render_text(&diags.0, &res.sources));
    }
    Ok(u8::from(diags.has_errors()))
}
