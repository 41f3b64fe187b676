//! `kiln build`: run the builds of a template, with Packer's flags, output
//! and exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{ArgAction, ValueEnum};
use kiln_engine::diag::render_text;
use kiln_engine::plan::plan;
use kiln_engine::run::{run_builds, BuildEvent, BuildJob, CancelToken, OnError, RunOptions};
use kiln_engine::template::json::{build_context, render_component};
use kiln_engine::template::model::{Template, TemplateFormat};
use kiln_engine::validate::validate_full;

use super::common::{split_patterns, VarArgs};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnErrorArg {
    Cleanup,
    Abort,
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
    let mut opts = args.vars.load_options()?;
    opts.only = split_patterns(&args.only);
    opts.except = split_patterns(&args.except);
    // Like `packer build`: the template is validated first; nothing runs
    // when it has errors.
    let res = validate_full(&args.path, &opts);
    // GitHub Actions hook (action branch): mask sensitive values, then
    // annotate; the text below is for the terminal.
    if !crate::render::actions::report_validation(&args.path, &res) && !res.diags.is_empty() {
        eprint!("{}", render_text(&res.diags.0, &res.sources));
    }
    let loaded = match res.loaded {
        Some(l) if !res.diags.has_errors() => l,
        _ => return Ok(1),
    };
    let template = loaded.template;
    let mut secrets: Vec<String> = template
        .variables
        .iter()
        .filter(|v| v.sensitive)
        .filter_map(|v| v.value.to_display_string())
        .collect();
    secrets.extend(
        loaded
            .sensitive_locals
            .iter()
            .filter_map(|name| template.locals.get(name))
            .filter_map(|v| v.to_display_string()),
    );
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let jobs = jobs(&template, &opts.only, &opts.except, &cwd)?;
    crate::render::actions::prepare(&jobs, &cwd); // GitHub Actions hook (action branch)
    if jobs.is_empty() {
        eprintln!("Error: no build matches -only/-except; nothing to do.");
        return Ok(1);
    }
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
            cwd,
            cancel: CancelToken::new(),
        },
        args.color
            .unwrap_or_else(|| std::io::stdout().is_terminal()),
        args.timestamp_ui,
    )
}

/// The planned builds as runner jobs; legacy JSON configs are rendered
/// with their build's Go-template context.
fn jobs(
    t: &Template,
    only: &[String],
    except: &[String],
    cwd: &std::path::Path,
) -> anyhow::Result<Vec<BuildJob>> {
    let (planned, _) = plan(t, only, except);
    let json_ctx = (t.format == TemplateFormat::Json).then(|| build_context(t, cwd));
    let mut jobs = Vec::new();
    for p in planned {
        let (Some(build), Some(src)) = (
            t.builds.get(p.build_index),
            t.builds
                .get(p.build_index)
                .and_then(|b| b.sources.get(p.source_index)),
        ) else {
            continue;
        };
        let btype = src.builder.type_name.clone();
        let render = |c: &kiln_engine::template::model::Component| -> anyhow::Result<_> {
            match &json_ctx {
                Some(ctx) => render_component(c, ctx, &src.build_name, &btype)
                    .with_context(|| format!("rendering {} for build {}", c.context, p.name)),
                None => Ok(c.clone()),
            }
        };
        let mut provisioners = Vec::new();
        for i in &p.provisioners {
            if let Some(def) = build.provisioners.get(*i) {
                let mut def = def.clone();
                def.component = render(&def.component)?;
                provisioners.push(def);
            }
        }
        let mut post_processors = Vec::new();
        for (ci, idxs) in &p.post_processors {
            let mut chain = Vec::new();
            for i in idxs {
                if let Some(def) = build.post_processors.get(*ci).and_then(|c| c.get(*i)) {
                    let mut def = def.clone();
                    def.component = render(&def.component)?;
                    chain.push(def);
                }
            }
            post_processors.push(chain);
        }
        jobs.push(BuildJob {
            name: p.name.clone(),
            source_name: src.build_name.clone(),
            builder: render(&src.builder)?,
            provisioners,
            post_processors,
        });
    }
    Ok(jobs)
}

fn run_jobs(
    jobs: Vec<BuildJob>,
    opts: RunOptions,
    color: bool,
    timestamps: bool,
) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
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
            // GitHub Actions hook (action branch): Packer's text or Actions mode.
            let mut r = crate::render::actions::Renderer::new(color, timestamps);
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
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
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
