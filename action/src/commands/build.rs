//! `kiln build`: run the builds of a template, with Packer's flags, output
//! and exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::{ArgAction, ValueEnum};
use kiln_engine::run::{run_builds, BuildEvent, BuildJob, CancelToken, OnError, RunOptions};

use super::common::{LoadArgs, Loaded};
use crate::render::text::TextRenderer;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnErrorArg {
    Cleanup,
    Abort,
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// Build at most N builds at once; 0 means no limit.
    #[arg(long = "parallel-builds", value_name = "N", default_value_t = 0)]
    parallel_builds: usize,
    /// What to do with a failed build's resources: remove them (cleanup) or leave them (abort).
    #[arg(long = "on-error", value_enum, default_value = "cleanup")]
    on_error: OnErrorArg,
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
    let Loaded { template, jobs, .. } = match args.load.load(&args.path)? {
        Some(l) => l,
        None => return Ok(1),
    };
    let secrets = template
        .variables
        .iter()
        .filter(|v| v.sensitive)
        .filter_map(|v| v.value.to_display_string())
        .collect();
    run_jobs(
        jobs,
        RunOptions {
            parallel_builds: args.parallel_builds,
            on_error: match args.on_error {
                OnErrorArg::Cleanup => OnError::Cleanup,
                OnErrorArg::Abort => OnError::Abort,
            },
            fail_fast: args.fail_fast,
            secrets,
            cwd: std::env::current_dir()?,
            cancel: CancelToken::new(),
        },
        args.color.unwrap_or_else(|| std::io::stdout().is_terminal()),
        args.timestamp_ui,
    )
}

fn run_jobs(jobs: Vec<BuildJob>, opts: RunOptions, color: bool, timestamps: bool) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let cancel = opts.cancel.clone();
        let interrupted = CancelToken::new();
        {
            let (cancel, interrupted) = (cancel.clone(), interrupted.clone());
            tokio::spawn(async move {
                wait_for_signal().await;
                interrupted.cancel();
                cancel.cancel();
            });
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<BuildEvent>();
        let renderer = tokio::spawn(async move {
            let mut r = TextRenderer::new(std::io::stdout(), color, timestamps);
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
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => {
            // Without signal handlers the default action (terminate) applies;
            // never resolve so builds are not cancelled spuriously.
            std::future::pending::<()>().await
        }
    }
}
