//! Flags shared by the commands that load a template (`validate`,
//! `inspect`, `console`), and turning them into [`LoadOptions`].

use std::path::PathBuf;

use anyhow::Context as _;
use kiln_lang::template::LoadOptions;

/// Variable inputs (`-var`, `-var-file`).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct VarArgs {
    /// Set a variable: `-var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a `.pkrvars.hcl` or `.json` file (repeatable).
    #[arg(long = "var-file", value_name = "PATH")]
    pub var_files: Vec<PathBuf>,
}

impl VarArgs {
    /// Options from the process environment plus these flags.
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        let mut opts = LoadOptions::from_process().context("reading the working directory")?;
        for v in &self.vars {
            let (k, val) = v
                .split_once('=')
                .with_context(|| format!("invalid -var {v:?}: expected NAME=VALUE"))?;
            opts.vars.push((k.trim().to_string(), val.to_string()));
        }
        opts.var_files.clone_from(&self.var_files);
        // `aws_secretsmanager*` on kiln's AWS credential chain.
        opts.aws_secrets = Some(kiln_build::aws_secrets());
        Ok(opts)
    }
}

/// Split comma-separated `-only` / `-except` values.
pub fn split_patterns(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
