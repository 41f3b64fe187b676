//! The build runner: builds run in parallel, each a builder whose created
//! resources sit on a cleanup stack that is unwound on success, failure and
//! cancellation; everything that happens is a [`BuildEvent`].

mod cancel;
mod cleanup;
pub mod duration;
mod events;
pub(crate) mod local_shell;
mod settings;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc::UnboundedSender;

pub use cancel::CancelToken;
pub use cleanup::CleanupStack;
pub use events::{mask, ArtifactSummary, BuildEvent, Secrets, Ui};
pub use settings::Settings;

use crate::artifact::Artifact;
use crate::builder::{self, BuildContext, ProvisionHook};
use crate::communicator::{Communicator, GeneratedData};
use crate::postprocessor;
use crate::provisioner::{self, ProvisionContext, Provisioner};
use crate::template::model::{Component, PostProcessorDef, ProvisionerDef};

/// Why a build failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Step(String),
    #[error("The {kind} type \"{type_name}\" is not available in this version of kiln (available: {available})")]
    NotAvailable {
        kind: &'static str,
        type_name: String,
        available: String,
    },
    #[error("Build was cancelled.")]
    Cancelled,
}

/// What to do with a failed build's resources (`-on-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Unwind the cleanup stack (default).
    #[default]
    Cleanup,
    /// Leave everything in place and list it.
    Abort,
}

/// One build to run: a source of a build block with its provisioners and
/// post-processor chains, already filtered by `-only`/`-except` and by
/// their own `only`/`except` (see `plan`).
#[derive(Debug, Clone)]
pub struct BuildJob {
    /// The full build name (`TYPE.NAME` or `BUILD.TYPE.NAME`).
    pub name: String,
    /// The source's name inside the build (`PACKER_BUILD_NAME`).
    pub source_name: String,
    pub builder: Component,
    pub provisioners: Vec<ProvisionerDef>,
    pub post_processors: Vec<Vec<PostProcessorDef>>,
}

/// Settings of a whole run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// At most this many builds at once; 0 = unlimited.
    pub parallel_builds: usize,
    pub on_error: OnError,
    /// Cancel the other builds as soon as one fails.
    pub fail_fast: bool,
    /// Values never to print (sensitive variables).
    pub secrets: Vec<String>,
    pub cwd: PathBuf,
    pub cancel: CancelToken,
}

/// The result of one build.
#[derive(Debug)]
pub struct BuildOutcome {
    pub name: String,
    pub duration: Duration,
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
    let secrets = Secrets::new(opts.secrets.clone());
    let run_uuid = new_run_uuid();
    let mut handles = Vec::new();
    for job in jobs {
        let semaphore = semaphore.clone();
        let ui = Ui::new(job.name.clone(), secrets.clone(), events.clone());
        let opts = opts.clone();
        let run_uuid = run_uuid.clone();
        handles.push((
            job.name.clone(),
            tokio::spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let outcome = run_one(&job, &opts, &ui, &run_uuid).await;
                if outcome.result.is_err() && opts.fail_fast {
                    opts.cancel.cancel();
                }
                outcome
            }),
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
    ui.emit(BuildEvent::Started {
        build: job.name.clone(),
    });
    let result = if opts.cancel.is_cancelled() {
        Err(BuildError::Cancelled)
    } else {
        build_and_post_process(job, opts, ui, run_uuid).await
    };
    let duration = start.elapsed();
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

struct Hook<'a> {
    provisioners: Vec<(&'a ProvisionerDef, Box<dyn Provisioner>)>,
    ctx: ProvisionContext<'a>,
}

#[async_trait]
impl ProvisionHook for Hook<'_> {
    async fn provision(
        &self,
        communicator: Option<Arc<dyn Communicator>>,
        mut generated: GeneratedData,
    ) -> Result<(), BuildError> {
        generated
            .entry("PackerRunUUID".to_string())
            .or_insert_with(|| self.ctx.run_uuid.to_string());
        let ctx = ProvisionContext {
            communicator,
            generated,
            ..self.ctx.clone()
        };
        for (def, p) in &self.provisioners {
            if let Some(pause) = &def.pause_before {
                let d = duration::parse_duration(pause).map_err(BuildError::Config)?;
                ctx.ui.say(format!(
                    "Pausing {} before the next provisioner...",
                    human_duration(d)
                ));
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = ctx.cancel.cancelled() => return Err(BuildError::Cancelled),
                }
            }
            let timeout = match &def.timeout {
                Some(t) => Some(duration::parse_duration(t).map_err(BuildError::Config)?),
                None => None,
            };
            let mut attempt = 0;
            loop {
                let run = p.provision(&ctx);
                let r = match timeout {
                    Some(t) => tokio::time::timeout(t, run).await.unwrap_or_else(|_| {
                        Err(BuildError::Step(format!(
                            "Provisioner {} timed out after {}",
                            def.component.type_name,
                            human_duration(t)
                        )))
                    }),
                    None => run.await,
                };
                match r {
                    Err(e) if attempt < def.max_retries && e != BuildError::Cancelled => {
                        attempt += 1;
                        ctx.ui.error(format!("{e}"));
                        ctx.ui.say(format!(
                            "Provisioner failed, retrying ({attempt}/{})...",
                            def.max_retries
                        ));
                    }
                    other => break other?,
                }
            }
        }
        Ok(())
    }
}

async fn build_and_post_process(
    job: &BuildJob,
    opts: &RunOptions,
    ui: &Ui,
    run_uuid: &str,
) -> Result<Vec<Arc<dyn Artifact>>, BuildError> {
    let builder = builder::create(&job.builder)?;
    let mut provisioners = Vec::new();
    for def in &job.provisioners {
        provisioners.push((def, provisioner::create(&def.component)?));
    }
    let mut chains = Vec::new();
    for chain in &job.post_processors {
        let mut built = Vec::new();
        for def in chain {
            built.push((def, postprocessor::create(&def.component)?));
        }
        if !built.is_empty() {
            chains.push(built);
        }
    }
    let pctx = || ProvisionContext {
        ui,
        cancel: &opts.cancel,
        cwd: &opts.cwd,
        build_name: &job.source_name,
        builder_type: &job.builder.type_name,
        run_uuid,
        communicator: None,
        generated: GeneratedData::new(),
    };
    let hook = Hook {
        provisioners,
        ctx: pctx(),
    };
    let mut cleanup = CleanupStack::new();
    let built = {
        let mut ctx = BuildContext {
            ui,
            cancel: &opts.cancel,
            cleanup: &mut cleanup,
            hook: &hook,
            cwd: &opts.cwd,
        };
        tokio::select! {
            r = builder.run(&mut ctx) => r,
            _ = opts.cancel.cancelled() => Err(BuildError::Cancelled),
        }
    };
    if built.is_err() && opts.on_error == OnError::Abort {
        for left in cleanup.pending() {
            ui.error(format!("Left in place (-on-error=abort): {left}"));
        }
    } else {
        for (what, r) in cleanup.unwind().await {
            if let Err(e) = r {
                ui.error(format!("Cleanup failed: {what}: {e}"));
            }
        }
    }
    let artifact: Arc<dyn Artifact> = Arc::from(built?);
    if chains.is_empty() {
        return Ok(vec![artifact]);
    }
    let ctx = pctx();
    let mut results: Vec<Arc<dyn Artifact>> = Vec::new();
    let mut keep_builder_artifact = false;
    for chain in chains {
        let mut current = artifact.clone();
        for (i, (def, pp)) in chain.iter().enumerate() {
            if opts.cancel.is_cancelled() {
                return Err(BuildError::Cancelled);
            }
            ui.say(format!(
                "Running post-processor: {}",
                def.component.type_name
            ));
            let out = pp.post_process(&ctx, current.clone()).await?;
            let keep = def.keep_input_artifact.unwrap_or(out.keep_input);
            if i == 0 && keep {
                keep_builder_artifact = true;
            }
            current = out.artifact;
        }
        if !Arc::ptr_eq(&current, &artifact) {
            results.push(current);
        } else {
            keep_builder_artifact = true;
        }
    }
    if keep_builder_artifact {
        results.insert(0, artifact);
    }
    Ok(results)
}

/// Write a file atomically: a temporary in the same directory, fsync,
/// rename; the original's permissions are kept.
pub async fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = path.to_path_buf();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || write_atomic_blocking(&path, &bytes))
        .await
        .map_err(std::io::Error::other)?
}

fn write_atomic_blocking(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.kiln-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Packer's duration wording: "1 minute 3 seconds", "250 milliseconds".
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs == 0 {
        return plural(d.subsec_millis() as u64, "millisecond");
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(plural(h, "hour"));
    }
    if m > 0 {
        parts.push(plural(m, "minute"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(plural(s, "second"));
    }
    parts.join(" ")
}

/// A random (version 4) UUID for the run (the manifest's `packer_run_uuid`).
fn new_run_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests;
