//! Job workers: claim, keep the lease alive, process (dispatched on the
//! job's [`JobKind`]), finish (or retry later with backoff). Transient
//! GitHub trouble is retried; a job for an installation that is gone, or
//! of a kind this version does not know, is given up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::check::lookup::{self, LookupError, LookupJob};
use crate::check::process_pr;
use crate::github::{GhError, Installation};
use crate::job::{JobCtx, JobKind, ProcessError};
use crate::metrics::inc;
use crate::state::AppState;
use crate::store::Job;

pub fn spawn_workers(state: Arc<AppState>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..state.cfg.workers)
        .map(|i| {
            let st = state.clone();
            tokio::spawn(async move { worker_loop(st, i).await })
        })
        .collect()
}

async fn worker_loop(state: Arc<AppState>, n: usize) {
    loop {
        let claimed = state.store.claim(state.cfg.lease).await;
        match claimed {
            Ok(Some(job)) => {
                tracing::info!(worker = n, job = job.id, pr = %job.pr_key, sha = %job.head_sha, attempt = job.attempts, "job claimed");
                run_job(&state, job).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = state.wake.notified() => {}
                    _ = tokio::time::sleep(state.cfg.poll) => {}
                }
            }
            Err(e) => {
                tracing::error!(worker = n, error = %e, "claiming a job");
                tokio::time::sleep(state.cfg.poll).await;
            }
        }
    }
}

/// Renews the lease every third of its length until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn heartbeat(state: &Arc<AppState>, job: &Job) -> Heartbeat {
    let st = state.clone();
    let j = job.clone();
    Heartbeat(tokio::spawn(async move {
        let every = st.cfg.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match st.store.renew(&j, st.cfg.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job = j.id, "lease lost");
                    return;
                }
                Err(e) => tracing::warn!(job = j.id, error = %e, "renewing lease"),
            }
        }
    }))
}

async fn run_job(state: &Arc<AppState>, job: Job) {
    let started = Instant::now();
    let _hb = heartbeat(state, &job);
    let result = run_inner(state, &job).await;
    state.metrics.jobs_seconds_total_ms.fetch_add(
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
    let finish = match result {
        Ok((conclusion, summary)) => {
            if conclusion == "success" {
                inc(&state.metrics.jobs_succeeded);
            } else {
                inc(&state.metrics.jobs_failed_checks);
            }
            state
                .store
                .finish(&job, "done", &format!("{conclusion}: {summary}"))
                .await
        }
        Err(JobError::Permanent(msg)) => {
            inc(&state.metrics.jobs_errored);
            tracing::warn!(job = job.id, %msg, "job given up");
            close_check_run(state, &job, &msg).await;
            state.store.finish(&job, "failed", &msg).await
        }
        Err(JobError::Transient(msg)) => {
            if job.attempts >= i64::from(state.cfg.max_attempts) {
                inc(&state.metrics.jobs_errored);
                tracing::error!(job = job.id, %msg, "job failed after its last attempt");
                close_check_run(state, &job, &msg).await;
                state.store.finish(&job, "failed", &msg).await
            } else {
                inc(&state.metrics.jobs_retried);
                let delay = state.cfg.retry_base
                    * 2u32.saturating_pow(u32::try_from(job.attempts).unwrap_or(10).min(10));
                tracing::warn!(job = job.id, %msg, ?delay, "job will be retried");
                state
                    .store
                    .retry_later(&job, delay.min(Duration::from_secs(600)), &msg)
                    .await
            }
        }
        Err(JobError::Lost) => Ok(false),
    };
    match finish {
        Ok(true) => {
            tracing::info!(
                job = job.id,
                ms = started.elapsed().as_millis() as u64,
                "job finished"
            )
        }
        Ok(false) => tracing::warn!(job = job.id, "job's claim was lost; another worker owns it"),
        Err(e) => tracing::error!(job = job.id, error = %e, "recording the job's end"),
    }
}

/// Best effort: a check run left in progress by a job that is given up
/// is completed with the reason, so the pull request is not stuck.
async fn close_check_run(state: &Arc<AppState>, job: &Job, msg: &str) {
    let Ok(Some(run_id)) = state.store.check_run_of(job.id).await else {
        return;
    };
    let Ok(gh) = state.github.installation(job.installation_id).await else {
        return;
    };
    let body = serde_json::json!({
        "status": "completed",
        "conclusion": "failure",
        "output": {
            "title": "kiln could not finish",
            "summary": format!("kiln-app gave up on this check:\n\n```\n{msg}\n```\n"),
        },
    });
    if let Err(e) = gh.update_check_run(&job.repo, run_id, &body).await {
        tracing::warn!(job = job.id, error = %e, "closing the check run");
    }
}

/// How a job ended short of done.
enum JobError {
    Transient(String),
    Permanent(String),
    Lost,
}

async fn run_inner(state: &Arc<AppState>, job: &Job) -> Result<(&'static str, String), JobError> {
    let gh = installation_for(state, job).await?;
    let ctx = JobCtx {
        gh: &gh,
        store: &state.store,
        job,
        check_name: &state.cfg.check_name,
    };
    let kind = job
        .kind
        .clone()
        .map_err(|e| JobError::Permanent(e.to_string()))?;
    let processed = match kind {
        JobKind::PullRequest => process_pr(&ctx).await,
        JobKind::WorkflowRun => crate::registry::runs::process_run(&ctx).await,
        JobKind::Bump => crate::bump::job::process(&ctx).await,
        JobKind::PullRequestLookup => return run_lookup(state, &gh, job).await,
    };
    match processed {
        Ok(p) => Ok((p.conclusion, p.summary)),
        Err(e) => {
            // A token GitHub refuses is fetched afresh on the retry (bump
            // jobs keep theirs, as they always did).
            if kind != JobKind::Bump {
                forget_refused_token(state, job, &e).await;
            }
            Err(classify(e))
        }
    }
}

/// The installation's client, unless the installation is known to be gone
/// or GitHub says it is not this App's.
async fn installation_for(state: &Arc<AppState>, job: &Job) -> Result<Installation, JobError> {
    match state.store.installation_inactive(job.installation_id).await {
        Ok(true) => {
            return Err(JobError::Permanent(format!(
                "installation {} is uninstalled or suspended",
                job.installation_id
            )))
        }
        Ok(false) => {}
        Err(e) => return Err(JobError::Transient(e.to_string())),
    }
    match state.github.installation(job.installation_id).await {
        Ok(g) => Ok(g),
        Err(
            e @ GhError::Status {
                status: 401 | 403 | 404,
                ..
            },
        ) if !e.is_rate_limit() => Err(JobError::Permanent(format!(
            "installation {} is not available to this App: {e}",
            job.installation_id
        ))),
        Err(e) => Err(classify(e.into())),
    }
}

async fn forget_refused_token(state: &Arc<AppState>, job: &Job, e: &ProcessError) {
    if let ProcessError::GitHub(GhError::Status { status: 401, .. }) = e {
        state.github.drop_token(job.installation_id).await;
    }
}

/// A lookup job: enqueue the pull requests of a fork's commit.
async fn run_lookup(
    state: &Arc<AppState>,
    gh: &Installation,
    job: &Job,
) -> Result<(&'static str, String), JobError> {
    let lj: LookupJob = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("bad job payload: {e}")))?;
    let resolved = lookup::resolve(
        gh,
        &state.store,
        job.installation_id,
        &format!("lookup-{}", job.id),
        &lj,
    )
    .await;
    match resolved {
        Ok(r) => {
            if !r.enqueued.is_empty() {
                state.wake.notify_waiters();
            }
            Ok((
                "neutral",
                format!(
                    "pull requests at {}: {:?} (enqueued {:?})",
                    lj.head_sha, r.found, r.enqueued
                ),
            ))
        }
        Err(LookupError::GitHub(e)) => Err(classify(ProcessError::GitHub(e))),
        Err(LookupError::Store(e)) => Err(JobError::Transient(e.to_string())),
        Err(e) => Err(JobError::Permanent(e.to_string())),
    }
}

fn classify(e: ProcessError) -> JobError {
    match &e {
        ProcessError::LostClaim => JobError::Lost,
        ProcessError::GitHub(g) if g.is_transient() || g.status() == Some(401) => {
            JobError::Transient(e.to_string())
        }
        ProcessError::Store(_) | ProcessError::Io(_) => JobError::Transient(e.to_string()),
        _ => JobError::Permanent(e.to_string()),
    }
}
