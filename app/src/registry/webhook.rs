//! `workflow_run` deliveries → a registry job. Only `completed` runs with
//! conclusion `success` are queued. Whether the workflow is configured is
//! decided by the worker, from the default branch's `.github/kiln.yml`;
//! for a configured workflow, a run that is not trusted (see [`distrust`]:
//! a fork's, a pull request's; and a branch other than the default one or
//! `registry.branches`) is refused with a `kiln/images` check run saying
//! why, and nothing is downloaded.

use serde::{Deserialize, Serialize};

use crate::events::{EventError, Parsed};
use crate::ids::{CommitSha, RepoName};
use crate::job::JobKind;
use crate::store::NewJob;

/// The work a registry job carries (stored as the job payload).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunJob {
    pub repo: RepoName,
    pub run_id: i64,
    pub head_sha: CommitSha,
    pub workflow_path: String,
    pub default_branch: String,
    /// The head commit's time (Unix ms), ordering versions.
    pub commit_order: i64,
    pub html_url: String,
    /// Why the run's artifacts are not trusted whatever the
    /// configuration says (a fork's, a pull request's).
    #[serde(default)]
    pub untrusted: Option<String>,
    /// The run's head branch (a tag's name for a tag's run): the default
    /// branch or one of `registry.branches` is trusted.
    #[serde(default)]
    pub head_branch: String,
}

/// Events whose runs execute a pull request's workflow file or check out
/// its code with the base repository's permissions.
const PULL_REQUEST_EVENTS: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
];

/// Why a run's artifacts cannot be recorded, whatever the configuration,
/// or `None`: a fork's run, or one triggered by a pull request event (its
/// workflow file and code are the pull request's). The branch is checked
/// by the worker ([`super::config::RegistryConfig::untrusted_branch`]).
pub fn distrust(repo: &str, head_repo: Option<&str>, event: &str) -> Option<String> {
    if head_repo != Some(repo) {
        return Some(format!(
            "the run's head repository {} is not {repo} (a fork): its artifacts are not trusted",
            head_repo.unwrap_or("(none)")
        ));
    }
    if PULL_REQUEST_EVENTS.contains(&event) {
        return Some(format!(
            "the run was triggered by a `{event}` event: a pull request's workflow and code are not trusted"
        ));
    }
    None
}

#[derive(Deserialize)]
struct Payload {
    action: Option<String>,
    workflow_run: Option<Run>,
    workflow: Option<Workflow>,
    repository: Option<Repo>,
    installation: Option<Installation>,
}

#[derive(Deserialize)]
struct Run {
    id: i64,
    head_sha: String,
    conclusion: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    head_repository: Option<Repo>,
    head_commit: Option<HeadCommit>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    head_branch: Option<String>,
}

#[derive(Deserialize)]
struct Workflow {
    path: Option<String>,
}

#[derive(Deserialize)]
struct Repo {
    full_name: String,
    #[serde(default)]
    default_branch: Option<String>,
}

#[derive(Deserialize)]
struct Installation {
    id: i64,
}

#[derive(Deserialize)]
struct HeadCommit {
    timestamp: Option<String>,
}

/// Parse a verified `workflow_run` delivery.
pub fn parse(body: &[u8]) -> Result<Parsed, EventError> {
    let p: Payload = serde_json::from_slice(body)?;
    if p.action.as_deref() != Some("completed") {
        return Ok(Parsed::Ignored("workflow_run action"));
    }
    let run = p.workflow_run.ok_or(EventError::Missing("workflow_run"))?;
    if run.conclusion.as_deref() != Some("success") {
        return Ok(Parsed::Ignored("workflow_run that did not succeed"));
    }
    let repo = p.repository.ok_or(EventError::Missing("repository"))?;
    let repo_name = RepoName::parse(&repo.full_name)?;
    let Some(installation) = p.installation else {
        return Ok(Parsed::Ignored("event without an installation"));
    };
    let head_repo = run.head_repository.as_ref().map(|r| r.full_name.as_str());
    let default_branch = repo.default_branch.clone().unwrap_or_else(|| "main".into());
    let untrusted = distrust(
        &repo.full_name,
        head_repo,
        run.event.as_deref().unwrap_or_default(),
    );
    if let Some(why) = &untrusted {
        tracing::warn!(repo = %repo.full_name, head = ?head_repo, run = run.id, reason = %why, "untrusted workflow run: refused if its workflow feeds the registry");
    }
    let workflow_path = run
        .path
        .filter(|s| !s.is_empty())
        .or(p.workflow.and_then(|w| w.path))
        .ok_or(EventError::Missing("workflow_run.path"))?;
    let commit_order = run
        .head_commit
        .and_then(|c| c.timestamp)
        .and_then(|t| super::model::parse_rfc3339(&t))
        .unwrap_or_else(crate::store::now_ms);
    let job = RunJob {
        repo: repo_name.clone(),
        run_id: run.id,
        head_sha: run.head_sha.as_str().into(),
        workflow_path,
        default_branch,
        commit_order,
        html_url: run.html_url.unwrap_or_default(),
        untrusted,
        head_branch: run.head_branch.unwrap_or_default(),
    };
    Ok(Parsed::Job(NewJob {
        kind: JobKind::WorkflowRun,
        installation_id: installation.id,
        repo: repo_name,
        // One key per run: a redelivery of the same run waits for (or
        // supersedes) the first, runs of one repository do not.
        pr_key: format!("{}/actions/runs/{}", repo.full_name, run.id),
        head_sha: run.head_sha.into(),
        payload: serde_json::to_string(&job)?,
        skip_if_seen: false,
    }))
}
