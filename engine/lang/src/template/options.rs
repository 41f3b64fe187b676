//! What the caller (CLI, action, app) passes to template loading.

use std::path::PathBuf;
use std::sync::Arc;

use crate::aws_secrets::AwsSecrets;
use crate::datasource::DataSources;

/// Inputs to loading and evaluating a template, gathered from the command
/// line and the environment. Precedence (lowest first) follows Packer:
/// variable defaults < `PKR_VAR_*` env < `*.auto.pkrvars.hcl` /
/// `*.auto.pkrvars.json` (alphabetical) < `-var-file` (in order) < `-var`
/// (in order); for the last two, later flags win.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-var name=value`, in command-line order.
    pub vars: Vec<(String, String)>,
    /// `-var-file PATH`, in command-line order.
    pub var_files: Vec<PathBuf>,
    /// The process environment snapshot (only `PKR_VAR_*` is used for
    /// variables; JSON `{{env}}` reads any name). Taken explicitly so
    /// loading is deterministic in tests.
    pub env: Vec<(String, String)>,
    /// The working directory (`path.cwd`, `{{pwd}}`); relative paths in
    /// functions resolve against it.
    pub cwd: PathBuf,
    /// `-only` glob patterns over build names.
    pub only: Vec<String>,
    /// `-except` glob patterns over build names.
    pub except: Vec<String>,
    /// `-evaluate-datasources`: run data sources during validate.
    pub evaluate_datasources: bool,
    /// The executable data sources (from the build layer) used when
    /// `evaluate_datasources` is set; without it only `null` runs.
    pub data_sources: Option<Arc<dyn DataSources>>,
    /// The Secrets Manager client (from the build layer) behind
    /// `aws_secretsmanager` and `aws_secretsmanager_raw`; without it those
    /// functions fail with an error naming them.
    pub aws_secrets: Option<Arc<dyn AwsSecrets>>,
    /// `-no-warn-undeclared-var`.
    pub no_warn_undeclared_var: bool,
    /// `-syntax-only`: parse, do not evaluate.
    pub syntax_only: bool,
    /// Sandbox root (kiln-app): file functions may only read below this
    /// directory (a path resolving outside it is an error at the call),
    /// and network-reaching functions (`vault`, `consul_key`,
    /// `aws_secretsmanager*`) evaluate to unknown instead of calling out.
    pub sandbox: Option<PathBuf>,
}

impl LoadOptions {
    /// Options from the current process: its environment and working directory.
    pub fn from_process() -> std::io::Result<Self> {
        Ok(LoadOptions {
            env: std::env::vars().collect(),
            cwd: std::env::current_dir()?,
            ..LoadOptions::default()
        })
    }

    /// Look up an environment variable in the snapshot.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
