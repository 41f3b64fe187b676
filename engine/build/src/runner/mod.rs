//! The build runner: builds run in parallel, each a builder whose created
//! resources sit on a cleanup stack that is unwound on success, failure and
//! cancellation; everything that happens is a [`BuildEvent`].

mod hook;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tracing::Instrument as _;

pub use kiln_lang::plan::BuildJob;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::builder::{BuildContext, Builder};
use kiln_sdk::prompt::{ask_on_error, AskAnswer};
use kiln_sdk::{
    ArtifactSummary, BuildError, BuildEvent, CancelToken, CleanupStack, GeneratedData, Prompter,
    Secrets, Ui,
};

use crate::components::{self, BuildSettings};
use hook::{run_provisioner, step_name, Hook, HookState, StepEnv};
use kiln_lang::template::model::{Component, Reevaluate, Reevaluators};

/// What to do with a failed build's resources (`-on-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Unwind the cleanup stack (default).
    #[default]
    Cleanup,
    /// Leave everything in place and list it.
    Abort,
    /// Ask on the terminal: clean up, abort or retry the failed step.
    Ask,
    /// Run the error-cleanup provisioner, then leave everything else in
    /// place.
    RunCleanupProvisioner,
}

/// Settings of a whole run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// At most this many builds at once; 0 = unlimited.
    pub parallel_builds: usize,
    /// What to do with a failed build's resources.
    pub on_error: OnError,
    /// Cancel the other builds as soon as one fails.
    pub fail_fast: bool,
    /// Values never to print (sensitive variables).
    pub secrets: Vec<String>,
    /// The run's secret store (shared with the log writer, so generated
    /// secrets are masked in logs too); `secrets` are added to it.
    pub secret_store: Secrets,
    /// The working directory relative paths resolve against.
    pub cwd: PathBuf,
    /// Cancels every build (wired to SIGINT/SIGTERM by the CLI).
    pub cancel: CancelToken,
    /// `-force`: builders may replace what a previous build left.
    pub force: bool,
    /// `-debug`: pause after each step (when a prompter is set).
    pub debug: bool,
    /// Asks the user (`-on-error=ask`, `-debug`); `None` without a
    /// terminal.
    pub prompter: Option<Arc<dyn Prompter>>,
}

/// The result of one build.
#[derive(Debug)]
pub struct BuildOutcome {
    /// The build's name.
    pub name: String,
    /// How long it ran.
    pub duration: Duration,
    /// Its artifacts, in order, or why it failed.
    pub result: Result<Vec<Arc<dyn Artifact>>, BuildError>,
}

/// Run every job, at most `parallel_builds` at a time, sending events to
/// `events`. Returns one outcome per job, in job order.
pub async fn run_builds(
    jobs: Vec<BuildJob>,
    opts: RunOptions,
    events: UnboundedSender<BuildEvent>,
) -> Vec<BuildOutcome> {
    let limit = if opts.parallel_builds == 0 {
        jobs.len().max(1)
    } else {
        opts.parallel_builds
    };
    let semaphore = Arc::new(tokio::sync::Semaphore::new(limit));
    let secrets = opts.secret_store.clone();
    for s in &opts.secrets {
        secrets.add(s.clone());
    }
    let run_uuid = new_run_uuid();
    let mut handles = Vec::new();
    for job in jobs {
        let semaphore = semaphore.clone();
        let ui = Ui::new(job.name.clone(), secrets.clone(), events.clone());
        let opts = opts.clone();
        let run_uuid = run_uuid.clone();
        let span = tracing::info_span!("build", name = %job.name);
        handles.push((
            job.name.clone(),
            tokio::spawn(
                async move {
                    let _permit = semaphore.acquire_owned().await;
                    let outcome = run_one(&job, &opts, &ui, &run_uuid).await;
                    if outcome.result.is_err() && opts.fail_fast {
                        tracing::info!("fail-fast: cancelling the other builds");
                        opts.cancel.cancel();
                    }
                    outcome
                }
                .instrument(span),
            ),
        ));
    }
    let mut outcomes = Vec::new();
    for (name, handle) in handles {
        outcomes.push(handle.await.unwrap_or_else(|e| BuildOutcome {
            name,
            duration: Duration::ZERO,
            result: Err(BuildError::Step(format!("build task failed: {e}"))),
        }));
    }
    outcomes
}

async fn run_one(job: &BuildJob, opts: &RunOptions, ui: &Ui, run_uuid: &str) -> BuildOutcome {
    let start = Instant::now();
    tracing::info!(builder = %job.builder.type_name, "build started");
    ui.emit(BuildEvent::Started {
        build: job.name.clone(),
    });
    let result = if opts.cancel.is_cancelled() {
        Err(BuildError::Cancelled)
    } else {
        build_and_post_process(job, opts, ui, run_uuid).await
    };
    let duration = start.elapsed();
    match &result {
        Ok(a) => tracing::info!(?duration, artifacts = a.len(), "build finished"),
        Err(e) => tracing::info!(?duration, error = %ui.mask(&e.to_string()), "build errored"),
    }
    ui.emit(BuildEvent::Finished {
        build: job.name.clone(),
        duration,
        error: result.as_ref().err().map(|e| ui.mask(&e.to_string())),
        artifacts: result
            .as_ref()
            .map(|arts| {
                arts.iter()
                    .map(|a| ArtifactSummary {
                        builder_id: a.builder_id().to_string(),
                        id: ui.mask(&a.id()),
                        description: ui.mask(&a.description()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    });
    BuildOutcome {
        name: job.name.clone(),
        duration,
        result,
    }
}

async fn build_and_post_process(
    job: &BuildJob,
    opts: &RunOptions,
    ui: &Ui,
    run_uuid: &str,
) -> Result<Vec<Arc<dyn Artifact>>, BuildError> {
    let builder = components::builder(&job.builder)?;
    let env = StepEnv {
        ui,
        cancel: &opts.cancel,
        cwd: &opts.cwd,
        build_name: &job.source_name,
        builder_type: &job.builder.type_name,
        run_uuid,
        on_error: opts.on_error,
        debug: opts.debug,
        prompter: opts.prompter.as_deref(),
    };
    prepare_components(job, &env)?;
    let hook = Hook {
        provisioners: &job.provisioners,
        reevaluate: &job.reevaluate.provisioners,
        env: env.clone(),
        state: Default::default(),
    };
    let mut cleanup = CleanupStack::new();
    let built = run_builder(builder.as_ref(), &hook, &mut cleanup, opts, ui, job).await;
    let state = hook.take_state();
    let on_error = match &built {
        Ok(_) => OnError::Cleanup,
        Err(e) => {
            tracing::info!(error = %ui.mask(&e.to_string()), "build failed");
            let on_error = decide_on_error(&env, &state, e, &job.builder).await;
            run_error_cleanup_provisioner(job, &env, &state, e, on_error).await;
            on_error
        }
    };
    // The builder's values (`build.*`) for the post-processors.
    let builder_generated = state.generated;
    unwind_or_leave(cleanup, on_error, &env, job).await;
    let artifact: Arc<dyn Artifact> = Arc::from(built?);
    if job.post_processors.iter().all(|c| c.is_empty()) {
        return Ok(vec![artifact]);
    }
    let generated = env.complete(builder_generated.unwrap_or_default());
    post_process(job, opts, &env, artifact, &generated).await
}

/// Prepare every component before the build starts, as Packer does:
/// configuration errors and unknown `build.*` variables fail early.
/// Components reading `build.*` are created again once the builder's
/// values are known; components evaluated again at run time (HCL2) are
/// checked then.
fn prepare_components(job: &BuildJob, env: &StepEnv<'_>) -> Result<(), BuildError> {
    let unknown = GeneratedData::new();
    let re = &job.reevaluate;
    let provisioner_defs = job
        .provisioners
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(re.provisioners.get(*i), Some(Some(_))))
        .map(|(_, d)| d)
        .chain(
            job.error_cleanup_provisioner
                .iter()
                .filter(|_| re.error_cleanup_provisioner.is_none()),
        );
    for def in provisioner_defs {
        let c = env.substituted(&def.component, &unknown)?;
        if c == def.component {
            components::provisioner(&c)?;
        }
    }
    for (ci, chain) in job.post_processors.iter().enumerate() {
        for (i, def) in chain.iter().enumerate() {
            if pp_reevaluator(re, ci, i).is_some() {
                continue;
            }
            let c = env.substituted(&def.component, &unknown)?;
            if c == def.component {
                components::post_processor(&c, &BuildSettings::default())?;
            }
        }
    }
    Ok(())
}

/// Run the builder (which provisions through `hook`) until it finishes or
/// the run is cancelled.
async fn run_builder(
    builder: &dyn Builder,
    hook: &Hook<'_>,
    cleanup: &mut CleanupStack,
    opts: &RunOptions,
    ui: &Ui,
    job: &BuildJob,
) -> Result<Box<dyn Artifact>, BuildError> {
    tracing::info!(builder = %job.builder.type_name, "running builder");
    let mut ctx = BuildContext {
        ui,
        cancel: &opts.cancel,
        cleanup,
        hook,
        cwd: &opts.cwd,
        force: opts.force,
    };
    tokio::select! {
        r = builder.run(&mut ctx) => r,
        _ = opts.cancel.cancelled() => Err(BuildError::Cancelled),
    }
}

/// Packer runs the error-cleanup provisioner while unwinding the
/// provisioning step: only when provisioning started, not when the user
/// aborts, not on cancellation.
async fn run_error_cleanup_provisioner(
    job: &BuildJob,
    env: &StepEnv<'_>,
    state: &HookState,
    err: &BuildError,
    on_error: OnError,
) {
    if state.generated.is_none() || on_error == OnError::Abort || *err == BuildError::Cancelled {
        return;
    }
    env.ui
        .say("Provisioning step had errors: Running the cleanup provisioner, if present...");
    let Some(def) = &job.error_cleanup_provisioner else {
        return;
    };
    let ctx = env.provision_ctx(
        state.communicator.clone(),
        state.generated.clone().unwrap_or_default(),
    );
    tracing::info!(provisioner = %def.component.type_name, "running error-cleanup-provisioner");
    let re = job.reevaluate.error_cleanup_provisioner.as_ref();
    if let Err(err) = run_provisioner(def, re, &ctx).await {
        env.ui
            .error(format!("Error cleanup provisioner failed: {err}"));
    }
}

/// Unwind the cleanup stack, or list what is left in place with
/// `-on-error=abort` / `run-cleanup-provisioner`.
async fn unwind_or_leave(
    mut cleanup: CleanupStack,
    on_error: OnError,
    env: &StepEnv<'_>,
    job: &BuildJob,
) {
    let ui = env.ui;
    if matches!(on_error, OnError::Abort | OnError::RunCleanupProvisioner) {
        let flag = if on_error == OnError::Abort {
            "abort"
        } else {
            "run-cleanup-provisioner"
        };
        for left in cleanup.pending() {
            tracing::info!(resource = %left, "left in place");
            ui.error(format!("Left in place (-on-error={flag}): {left}"));
        }
        return;
    }
    if !cleanup.is_empty() {
        env.pause("before cleanup of", &step_name(&job.builder))
            .await;
    }
    for (what, r) in cleanup.unwind().await {
        tracing::debug!(what = %ui.mask(&what), ok = r.is_ok(), "cleanup");
        if let Err(e) = r {
            ui.error(format!("Cleanup failed: {what}: {e}"));
        }
    }
}

/// What the post-processor chains produced so far.
#[derive(Default)]
struct ChainResults {
    artifacts: Vec<Arc<dyn Artifact>>,
    errors: Vec<String>,
    keep_builder_artifact: bool,
}

/// Run the post-processor chains with Packer's rules (core/build.go):
/// the builder's artifact is kept when a chain's first post-processor
/// keeps its input; an intermediate artifact is listed when its successor
/// keeps it and destroyed otherwise; a failing post-processor ends its
/// chain (the other chains still run) and fails the build at the end.
async fn post_process(
    job: &BuildJob,
    opts: &RunOptions,
    env: &StepEnv<'_>,
    artifact: Arc<dyn Artifact>,
    generated: &GeneratedData,
) -> Result<Vec<Arc<dyn Artifact>>, BuildError> {
    let mut out = ChainResults::default();
    for (ci, chain) in job.post_processors.iter().enumerate() {
        if chain.is_empty() {
            continue;
        }
        run_chain(job, opts, env, ci, artifact.clone(), generated, &mut out).await?;
    }
    let mut results = out.artifacts;
    let mut errors = out.errors;
    if out.keep_builder_artifact {
        results.insert(0, artifact);
    } else if let Err(e) = artifact.destroy() {
        errors.push(format!("Failed cleaning up the builder's artifact: {e}"));
    }
    if !errors.is_empty() {
        return Err(BuildError::Step(errors.join("\n")));
    }
    Ok(results)
}

/// Run one post-processor chain over the builder's artifact. Only
/// cancellation and preparation errors end the whole build here; a failed
/// post-processor is recorded in `out.errors` and ends its chain.
async fn run_chain(
    job: &BuildJob,
    opts: &RunOptions,
    env: &StepEnv<'_>,
    ci: usize,
    artifact: Arc<dyn Artifact>,
    generated: &GeneratedData,
    out: &mut ChainResults,
) -> Result<(), BuildError> {
    let ui = env.ui;
    let mut prior = artifact;
    for (i, def) in job.post_processors[ci].iter().enumerate() {
        if opts.cancel.is_cancelled() {
            return Err(BuildError::Cancelled);
        }
        let re = pp_reevaluator(&job.reevaluate, ci, i);
        let c = env.prepared(&def.component, re, generated)?;
        let pp = components::post_processor(
            &c,
            &BuildSettings {
                hcp_packer_registry: job.hcp_packer_registry.as_ref(),
            },
        )?;
        ui.say(match c.name.as_deref() {
            Some(name) if name != c.type_name => {
                format!("Running post-processor: {name} (type {})", c.type_name)
            }
            _ => format!("Running post-processor: {}", c.type_name),
        });
        tracing::info!(post_processor = %c.type_name, "running post-processor");
        let pp_ui = ui.labelled(format!("{} ({})", ui.build_name(), c.type_name));
        let ctx = StepEnv {
            ui: &pp_ui,
            ..env.clone()
        }
        .provision_ctx(None, generated.clone());
        let processed = match pp.post_process(&ctx, prior.clone()).await {
            Ok(p) => p,
            Err(BuildError::Cancelled) => return Err(BuildError::Cancelled),
            Err(e) => {
                pp_ui.error(format!("Post-processor failed: {e}"));
                out.errors.push(format!("Post-processor failed: {e}"));
                return Ok(());
            }
        };
        env.pause("after run of", &step_name(&c)).await;
        let keep = keep_input(def.keep_input_artifact, &processed);
        if i == 0 {
            out.keep_builder_artifact |= keep;
        } else if keep {
            out.artifacts.push(prior.clone());
        } else if let Err(e) = prior.destroy() {
            out.errors
                .push(format!("Failed cleaning up prior artifact: {e}"));
        }
        prior = processed.artifact;
    }
    out.artifacts.push(prior);
    Ok(())
}

/// Whether a post-processor's input is kept: the template's
/// `keep_input_artifact` wins over the post-processor's default, except
/// where the post-processor forces it (Packer's `forceOverride`).
fn keep_input(configured: Option<bool>, out: &kiln_sdk::Processed) -> bool {
    match configured {
        Some(false) if out.keep_input && out.force_keep => true,
        Some(k) => k,
        None => out.keep_input,
    }
}

fn pp_reevaluator(r: &Reevaluators, chain: usize, i: usize) -> Option<&Reevaluate> {
    r.post_processors.get(chain)?.get(i)?.as_ref()
}

/// What to do with a failed build: `-on-error`, or the user's answer with
/// `-on-error=ask` (given for a failed provisioner, or asked now).
async fn decide_on_error(
    env: &StepEnv<'_>,
    state: &HookState,
    err: &BuildError,
    builder: &Component,
) -> OnError {
    if *err == BuildError::Cancelled {
        return match env.on_error {
            OnError::Abort => OnError::Abort,
            _ => OnError::Cleanup,
        };
    }
    match (env.on_error, state.decision, env.prompter) {
        (OnError::Ask, Some(AskAnswer::Abort), _) => OnError::Abort,
        (OnError::Ask, Some(_), _) => OnError::Cleanup,
        (OnError::Ask, None, Some(p)) => {
            env.ui.error(err.to_string());
            loop {
                match ask_on_error(p, env.ui, &step_name(builder)).await {
                    AskAnswer::Abort => return OnError::Abort,
                    AskAnswer::Cleanup => return OnError::Cleanup,
                    AskAnswer::Retry => env
                        .ui
                        .say("This step cannot be retried: only a failed provisioner can."),
                }
            }
        }
        (OnError::Ask, None, None) => OnError::Cleanup,
        (other, _, _) => other,
    }
}

/// A random (version 4) UUID for the run (the manifest's `packer_run_uuid`).
fn new_run_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests;
