//! Bump pull requests: after a build is recorded in the registry (or a
//! version is revoked), move the repository's Terraform variables to the
//! bucket's newest good image — one branch `kiln/bump-<bucket>` and one
//! pull request per bucket, updated in place, closed when superseded.
//!
//! Jobs go through the app's queue with the serialization key
//! `owner/repo#bump/<bucket>`, so one bucket's bumps run one at a time and
//! a queued bump is superseded by a newer one. A job does not carry the
//! images: it reads the bucket's newest non-revoked version (by commit
//! order) from the registry, so runs finishing out of order, redeliveries
//! and revocations all converge on the same target.
//!
//! | step | API |
//! | --- | --- |
//! | default branch head, config, Terraform files | `GET git/ref/heads/{b}`, `git/commits/{sha}`, `git/trees/{sha}?recursive=1`, `git/blobs/{sha}` |
//! | commit | `POST git/blobs` → `POST git/trees` (`base_tree`) → `POST git/commits` (parent: default head) |
//! | branch | `POST git/refs`, or `PATCH git/refs/heads/kiln/bump-<bucket>` with `force` — only while its head is kiln's own commit |
//! | pull request | `GET pulls?head=owner:kiln/bump-<bucket>&state=open` → `PATCH pulls/{n}` or `POST pulls`; `POST issues/{n}/labels` |
//! | superseded | comment, `PATCH pulls/{n}` `state: closed`, `DELETE git/refs/heads/…` |
//! | result | check run `kiln/bump` (annotation at `file:line:col` when a Terraform file does not parse) |

mod body;
mod branch;
mod check;
pub mod job;
mod pull;
mod source;

use serde::{Deserialize, Serialize};

use crate::ids::{CommitSha, RepoName};
use crate::job::JobKind;
use crate::store::{Intake, IntakeOutcome, NewJob, Store, StoreError};

pub use source::manifest_of;
/// The check run's name.
pub const CHECK_NAME: &str = "kiln/bump";

/// What a bump job carries (the job payload).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BumpJob {
    pub repo: RepoName,
    pub bucket: String,
    pub default_branch: String,
    /// The commit the `kiln/bump` check run is attached to (the build's
    /// head SHA); empty: the default branch head.
    #[serde(default)]
    pub head_sha: CommitSha,
    #[serde(default)]
    pub run_id: Option<i64>,
    /// The workflow run's page.
    #[serde(default)]
    pub html_url: String,
    /// Set when the job follows a revocation: the revoked fingerprint.
    #[serde(default)]
    pub revoked: Option<String>,
}

/// The queue's serialization key of a bucket's bumps.
pub fn pr_key(repo: &str, bucket: &str) -> String {
    format!("{repo}#bump/{bucket}")
}

/// The branch of a bucket's pull request.
pub fn branch_name(bucket: &str) -> String {
    format!("kiln/bump-{bucket}")
}

/// Enqueue a bump (deduplicated on `delivery_id`); true when recorded.
pub async fn enqueue(
    store: &Store,
    installation_id: i64,
    delivery_id: String,
    job: &BumpJob,
) -> Result<bool, StoreError> {
    let payload = serde_json::to_string(job).unwrap_or_default();
    let out = store
        .record(&[Intake {
            delivery_id,
            event: JobKind::Bump.as_str().into(),
            job: Some(NewJob {
                kind: JobKind::Bump,
                installation_id,
                repo: job.repo.clone(),
                pr_key: pr_key(job.repo.as_str(), &job.bucket),
                head_sha: job.head_sha.clone(),
                payload,
                skip_if_seen: false,
            }),
            install: None,
        }])
        .await?;
    Ok(out.first() == Some(&IntakeOutcome::Recorded))
}

/// After a `workflow_run` was recorded: one bump job per recorded bucket
/// that some `bump:` target of the repository's config builds.
pub async fn after_run(
    store: &Store,
    installation_id: i64,
    run: &crate::registry::webhook::RunJob,
    cfg: &crate::repo_config::RepoConfig,
    versions: &[crate::registry::model::NewVersion],
) -> Result<usize, StoreError> {
    if cfg.bump.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    let mut seen = std::collections::BTreeSet::new();
    for v in versions {
        let built = v.builds.iter().any(|b| {
            cfg.bump
                .iter()
                .any(|t| t.build == b.build_name || t.build == b.component_type)
        });
        if !built || !seen.insert(v.bucket.clone()) {
            continue;
        }
        let job = BumpJob {
            repo: run.repo.clone(),
            bucket: v.bucket.clone(),
            default_branch: run.default_branch.clone(),
            head_sha: run.head_sha.clone(),
            run_id: Some(run.run_id),
            html_url: run.html_url.clone(),
            revoked: None,
        };
        let id = format!("bump/{}/{}/run-{}", run.repo, v.bucket, run.run_id);
        if enqueue(store, installation_id, id, &job).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// After a revocation: when the bucket has had a bump, enqueue another
/// (back to the newest good version). Returns whether one was enqueued.
pub async fn after_revoke(
    store: &Store,
    bucket: &str,
    fingerprint: &str,
    revoke_at: i64,
) -> Result<bool, StoreError> {
    use sqlx::Row;
    let owner: Option<String> = sqlx::query("SELECT repo FROM registry_buckets WHERE name = $1")
        .bind(bucket)
        .fetch_optional(store.pool())
        .await?
        .map(|r| r.try_get("repo"))
        .transpose()?;
    let Some(repo) = owner else { return Ok(false) };
    let row = sqlx::query(
        "SELECT installation_id, payload FROM jobs WHERE kind = $1 AND pr_key = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(JobKind::Bump.as_str())
    .bind(pr_key(&repo, bucket))
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(false) };
    let installation_id: i64 = row.try_get("installation_id")?;
    let payload: String = row.try_get("payload")?;
    let Ok(last) = serde_json::from_str::<BumpJob>(&payload) else {
        return Ok(false);
    };
    if last.bucket != bucket {
        return Ok(false);
    }
    let job = BumpJob {
        head_sha: CommitSha::default(),
        run_id: None,
        html_url: String::new(),
        revoked: Some(fingerprint.to_string()),
        ..last
    };
    let id = format!(
        "bump/{}/{bucket}/revoke-{fingerprint}-{revoke_at}",
        job.repo
    );
    enqueue(store, installation_id, id, &job).await
}

/// How far back the sweeper looks for scheduled revocations that came
/// due (a revocation due longer ago than this while no replica ran is
/// not followed by a bump).
pub const SWEEP_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;

/// Scheduled revocations (`revoke_at` in the future when they were
/// made) take effect without any request: find the ones due in the last
/// [`SWEEP_WINDOW_MS`] and hand each to [`after_revoke`]. Its delivery ID
/// names the version and the time, so sweeping the same revocation again
/// (or on another replica, or after an immediate revocation already
/// enqueued it) records nothing twice. Returns how many jobs were enqueued.
pub async fn sweep_due_revocations(store: &Store, now: i64) -> Result<usize, StoreError> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT b.name, v.fingerprint, v.revoke_at FROM registry_versions v \
         JOIN registry_buckets b ON b.id = v.bucket_id \
         WHERE v.revoke_at IS NOT NULL AND v.revoke_at <= $1 AND v.revoke_at > $2 \
         ORDER BY v.revoke_at",
    )
    .bind(now)
    .bind(now - SWEEP_WINDOW_MS)
    .fetch_all(store.pool())
    .await?;
    let mut n = 0;
    for row in rows {
        let bucket: String = row.try_get(0)?;
        let fingerprint: String = row.try_get(1)?;
        let at: i64 = row.try_get(2)?;
        if after_revoke(store, &bucket, &fingerprint, at).await? {
            tracing::info!(%bucket, %fingerprint, revoke_at = at, "scheduled revocation took effect: bump enqueued");
            n += 1;
        }
    }
    Ok(n)
}

/// Run [`sweep_due_revocations`] every `every` until the process ends.
pub fn spawn_revocation_sweeper(
    store: Store,
    every: std::time::Duration,
    wake: impl Fn() + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep_due_revocations(&store, crate::store::now_ms()).await {
                Ok(0) => {}
                Ok(_) => wake(),
                Err(e) => tracing::warn!(error = %e, "sweeping scheduled revocations"),
            }
        }
    })
}
