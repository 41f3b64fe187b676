//! `check_suite` / `check_run` deliveries whose `pull_requests` array is
//! empty — GitHub leaves it empty for pull requests from forks (and for
//! pushes without a pull request). The job finds the open pull requests
//! whose head is the commit (`GET /repos/{repo}/commits/{sha}/pulls`, then
//! the open pulls list filtered by head SHA) and enqueues one ordinary
//! pull-request job per match, through the same deduplication and
//! per-PR serialization as webhook deliveries. Contents are read from the
//! base repository by SHA: a fork's head commit is reachable there
//! (`refs/pull/N/head`), and the installation's token covers only it.

use serde::{Deserialize, Serialize};

use crate::events::PrJob;
use crate::github::{GhError, Installation};
use crate::ids::{CommitSha, RepoName};
use crate::job::JobKind;
use crate::store::{Intake, IntakeOutcome, NewJob, Store};

/// The payload of a lookup job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LookupJob {
    /// The base repository (`owner/name`) the App is installed on.
    pub repo: RepoName,
    pub head_sha: CommitSha,
    /// Set when GitHub asked to re-run one check run.
    #[serde(default)]
    pub rerequested_check_run: Option<i64>,
    /// `check_suite.requested`: skip pull requests already checked at this SHA.
    #[serde(default)]
    pub skip_if_seen: bool,
}

impl LookupJob {
    pub fn pr_key(&self) -> String {
        format!("{}@{}", self.repo, self.head_sha)
    }
}

/// What a lookup did.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Pull request numbers found (head at the SHA, open).
    pub found: Vec<i64>,
    /// Of those, the ones for which a job was enqueued.
    pub enqueued: Vec<i64>,
}

/// Find the pull requests and enqueue their jobs. `delivery_id` is the
/// lookup job's delivery; each derived job gets `{delivery_id}/pr-{n}`,
/// so a re-run lookup never enqueues the same pull request twice.
pub async fn resolve(
    gh: &Installation,
    store: &Store,
    installation_id: i64,
    delivery_id: &str,
    job: &LookupJob,
) -> Result<Resolved, LookupError> {
    let found = gh.pulls_for_commit(&job.repo, &job.head_sha).await?;
    let mut out = Resolved {
        found: found.clone(),
        ..Resolved::default()
    };
    let mut items = Vec::new();
    for n in found {
        let pr = PrJob {
            repo: job.repo.clone(),
            number: n,
            head_sha: job.head_sha.clone(),
            rerequested_check_run: job.rerequested_check_run,
        };
        items.push(Intake {
            delivery_id: format!("{delivery_id}/pr-{n}"),
            event: "check_suite".into(),
            job: Some(NewJob {
                kind: JobKind::PullRequest,
                installation_id,
                repo: job.repo.clone(),
                pr_key: format!("{}#{n}", job.repo),
                head_sha: job.head_sha.clone(),
                payload: serde_json::to_string(&pr)?,
                skip_if_seen: job.skip_if_seen,
            }),
            install: None,
        });
    }
    if !items.is_empty() {
        let outcomes = store.record(&items).await?;
        for (item, o) in items.iter().zip(outcomes) {
            if o == IntakeOutcome::Recorded {
                if let Some(n) = item
                    .delivery_id
                    .rsplit_once("/pr-")
                    .and_then(|(_, n)| n.parse().ok())
                {
                    out.enqueued.push(n);
                }
            }
        }
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    GitHub(#[from] GhError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("bad job payload: {0}")]
    Payload(#[from] serde_json::Error),
}
