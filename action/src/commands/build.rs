//! `kiln build`: run the builds of a template, with Packer's flags, output
//! and exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::{ArgAction, ValueEnum};
use kiln_build::{run_builds, OnError, RunOptions};
use kiln_lang::diag::render_text;
use kiln_lang::plan::{jobs, BuildJob};
use kiln_lang::validate::validate_full;
use kiln_sdk::{BuildEvent, CancelToken, Prompter, Ui};

use super::common::{split_patterns, VarArgs};
use crate::render::actions::ActionsRenderer;
use crate::render::machine::MachineRenderer;
use crate::render::text::TextRenderer;
use crate::render::Renderer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnErrorArg {
    Cleanup,
    Abort,
    Ask,
    RunCleanupProvisioner,
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// Build only the builds matching these comma-separated globs (`TYPE.NAME`).
    #[arg(long = "only", value_name = "PATTERNS")]
    only: Vec<String>,
    /// Skip the builds matching these comma-separated globs.
    #[arg(long = "except", value_name = "PATTERNS")]
    except: Vec<String>,
    #[command(flatten)]
    vars: VarArgs,
    /// Build at most N builds at once; 0 means no limit.
    #[arg(long = "parallel-builds", value_name = "N", default_value_t = 0)]
    parallel_builds: usize,
    /// What to do when a build fails: cleanup (default), abort (leave everything),
    /// ask (on a terminal: clean up, abort or retry the step), or run-cleanup-provisioner
    /// (run the error-cleanup-provisioner, leave the rest).
    #[arg(long = "on-error", value_enum, default_value = "cleanup")]
    on_error: OnErrorArg,
    /// Let builders replace what a previous build left (builder-specific).
    #[arg(long = "force")]
    force: bool,
    /// Build one at a time and pause after each step (on a terminal).
    #[arg(long = "debug")]
    debug: bool,
    /// Packer's machine-readable output (`timestamp,target,type,data…`).
    #[arg(long = "machine-readable")]
    machine_readable: bool,
    /// Cancel the other builds as soon as one fails.
    #[arg(long = "fail-fast")]
    fail_fast: bool,
    /// Colored output (`-color=false` to disable; off when stdout is not a terminal).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    color: Option<bool>,
    /// Prefix every line with an RFC 3339 timestamp.
    #[arg(long = "timestamp-ui")]
    timestamp_ui: bool,
    /// Template file or directory.
    path: PathBuf,
}

pub fn run(args: BuildArgs) -> anyhow::Result<u8> {
    let mut opts = args.vars.load_options()?;
    opts.only = split_patterns(&args.only);
    opts.except = split_patterns(&args.except);
    // `packer build` always runs the data sources (amazon-ami, http, …).
    opts.evaluate_datasources = true;
    opts.data_sources = Some(kiln_build::data_sources());
    // Like `packer build`: the template is validated first; nothing runs
    // when it has errors.
    let res = validate_full(&args.path, &opts);
    // Sensitive values are masked in every output, logs and diagnostics
    // included, from here on.
    let secret_store = crate::logging::secrets();
    let secrets = res
        .loaded
        .as_ref()
        .map(|l| l.sensitive_values())
        .unwrap_or_default();
    for s in &secrets {
        secret_store.add(s.clone());
    }
    // GitHub Actions mode: ::add-mask:: the sensitive values, then annotate;
    // otherwise the diagnostics go to the terminal.
    if !crate::render::actions::report_validation(&args.path, &res) && !res.diags.is_empty() {
        eprint!(
            "{}",
            secret_store.mask(&render_text(&res.diags.0, &res.sources))
        );
    }
    let loaded = match res.loaded {
        Some(l) if !res.diags.has_errors() => l,
        _ => return Ok(1),
    };
    let template = loaded.template;
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let jobs = jobs(&template, &opts.only, &opts.except, &cwd)?;
    crate::render::actions::prepare(&jobs, &cwd); // GitHub Actions hook (action branch)
    if jobs.is_empty() {
        eprintln!("Error: no build matches -only/-except; nothing to do.");
        return Ok(1);
    }
    let tty = std::io::stdin().is_terminal();
    let cancel = CancelToken::new();
    let mut notes = Vec::new();
    if args.debug {
        notes.push("Debug mode enabled. Builds will not be parallelized.".to_string());
        if !tty {
            notes.push(
                "-debug: stdin is not a terminal; builds will not pause between steps.".into(),
            );
        }
    }
    let mut on_error = args.on_error;
    if on_error == OnErrorArg::Ask && !tty {
        notes.push(
            "-on-error=ask needs a terminal on stdin; failed builds will be cleaned up (-on-error=cleanup)."
                .into(),
        );
        on_error = OnErrorArg::Cleanup;
    }
    let prompter: Option<Arc<dyn Prompter>> = (tty && (args.debug || on_error == OnErrorArg::Ask))
        .then(|| Arc::new(TtyPrompter::new(cancel.clone())) as Arc<dyn Prompter>);
    let output = if args.machine_readable {
        Output::Machine
    } else {
        Output::Text {
            color: args
                .color
                .unwrap_or_else(|| std::io::stdout().is_terminal()),
            timestamps: args.timestamp_ui,
        }
    };
    run_jobs(
        jobs,
        RunOptions {
            parallel_builds: if args.debug { 1 } else { args.parallel_builds },
            on_error: match on_error {
                OnErrorArg::Cleanup => OnError::Cleanup,
                OnErrorArg::Abort => OnError::Abort,
                OnErrorArg::Ask => OnError::Ask,
                OnErrorArg::RunCleanupProvisioner => OnError::RunCleanupProvisioner,
            },
            fail_fast: args.fail_fast,
            secrets,
            secret_store,
            cwd,
            cancel,
            force: args.force,
            debug: args.debug,
            prompter,
        },
        output,
        notes,
    )
}

/// Which of Packer's outputs to print.
#[derive(Debug, Clone, Copy)]
enum Output {
    Text { color: bool, timestamps: bool },
    Machine,
}

/// Questions on the terminal (`-on-error=ask`, `-debug`): one at a time
/// across parallel builds; Ctrl-C while waiting gives up.
#[derive(Debug)]
struct TtyPrompter {
    lock: tokio::sync::Mutex<()>,
    cancel: CancelToken,
}

impl TtyPrompter {
    fn new(cancel: CancelToken) -> Self {
        TtyPrompter {
            lock: tokio::sync::Mutex::new(()),
            cancel,
        }
    }
}

#[async_trait::async_trait]
impl Prompter for TtyPrompter {
    async fn ask(&self, ui: &Ui, question: &str) -> Option<String> {
        let _one_at_a_time = self.lock.lock().await;
        if self.cancel.is_cancelled() {
            return None;
        }
        ui.say(question);
        let read = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
            }
        });
        tokio::select! {
            r = read => r.ok().flatten(),
            _ = self.cancel.cancelled() => None,
        }
    }
}

fn run_jobs(
    jobs: Vec<BuildJob>,
    opts: RunOptions,
    output: Output,
    notes: Vec<String>,
) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let secrets = opts.secret_store.clone();
    let result = rt.block_on(async move {
        let cancel = opts.cancel.clone();
        let interrupted = CancelToken::new();
        {
            let (cancel, interrupted) = (cancel.clone(), interrupted.clone());
            tokio::spawn(async move {
                let signal = wait_for_signal().await;
                tracing::info!(signal, "interrupted: cancelling builds");
                interrupted.cancel();
                cancel.cancel();
            });
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<BuildEvent>();
        let mut r = match (output, crate::actions::mode()) {
            (Output::Machine, _) => {
                Renderer::Machine(MachineRenderer::new(std::io::stdout(), secrets.clone()))
            }
            (Output::Text { timestamps, .. }, Some(gh)) => {
                Renderer::Actions(ActionsRenderer::new(gh, timestamps))
            }
            (Output::Text { color, timestamps }, None) => Renderer::Text(
                TextRenderer::new(std::io::stdout(), color, timestamps)
                    .with_secrets(secrets.clone()),
            ),
        };
        for n in &notes {
            r.say(n);
        }
        let renderer = tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                r.event(&e);
            }
            r
        });
        let start = Instant::now();
        let outcomes = run_builds(jobs, opts, tx).await;
        let mut r = renderer.await?;
        let was_interrupted = interrupted.is_cancelled();
        r.summary(&outcomes, start.elapsed(), was_interrupted);
        let failed = was_interrupted || outcomes.iter().any(|o| o.result.is_err());
        Ok(u8::from(failed))
    });
    // A question left unanswered (Ctrl-C at a prompt) holds a blocking
    // read on stdin; do not wait for it.
    rt.shutdown_background();
    result
}

/// Resolves on SIGINT or SIGTERM, naming the signal.
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            }
        }
        _ => {
            // Without signal handlers the default action (terminate) applies;
            // never resolve so builds are not cancelled spuriously.
            std::future::pending::<&'static str>().await
        }
    }
}
