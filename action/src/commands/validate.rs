//! `kiln validate`: check a template like `packer validate`. Prints
//! nothing on success (exit 0); diagnostics go to stderr (exit 1 on
//! errors); `-json` prints Terraform-style JSON to stdout instead.

use std::path::PathBuf;

use kiln_lang::diag::{render_json, render_text};
use kiln_lang::validate::validate_full;

use super::common::{split_patterns, VarArgs};

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Only check syntax; do not evaluate or validate components.
    #[arg(long = "syntax-only")]
    pub syntax_only: bool,
    /// Run data sources (kiln's null and http) while validating.
    #[arg(long = "evaluate-datasources")]
    pub evaluate_datasources: bool,
    /// Do not warn about undeclared variables set in var files.
    #[arg(long = "no-warn-undeclared-var")]
    pub no_warn_undeclared_var: bool,
    /// Validate only the builds matching these comma-separated globs.
    #[arg(long = "only", value_name = "PATTERNS")]
    pub only: Vec<String>,
    /// Skip the builds matching these comma-separated globs.
    #[arg(long = "except", value_name = "PATTERNS")]
    pub except: Vec<String>,
    /// Print diagnostics as JSON on stdout.
    #[arg(long = "json")]
    pub json: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// A template file or a directory of *.pkr.hcl files.
    pub path: PathBuf,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<u8> {
    let mut opts = args.vars.load_options()?;
    opts.syntax_only = args.syntax_only;
    opts.evaluate_datasources = args.evaluate_datasources;
    opts.data_sources = Some(kiln_build::data_sources());
    opts.no_warn_undeclared_var = args.no_warn_undeclared_var;
    opts.only = split_patterns(&args.only);
    opts.except = split_patterns(&args.except);
    let res = validate_full(&args.path, &opts);
    let failed = res.diags.has_errors();
    // GitHub Actions hook (action branch): mask, annotate, summarize.
    if args.json {
        crate::actions::stdout_is_data();
    }
    let reported = crate::actions::report_loaded("validate", &args.path, &res);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&render_json(&res.diags.0))?
        );
    } else {
        if !reported && !res.diags.is_empty() {
            eprint!("{}", render_text(&res.diags.0, &res.sources));
        }
        if args.syntax_only && !failed {
            println!("Syntax-only check passed. Everything looks okay.");
        }
    }
    Ok(u8::from(failed))
}
