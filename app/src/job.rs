//! What every kind of job shares: its kind ([`JobKind`], stored as the
//! same strings as ever in the `jobs.kind` column), the context a worker
//! hands to a job's processor ([`JobCtx`]), what a processor returns
//! ([`Processed`]) and how it fails ([`ProcessError`]).

use std::fmt;
use std::str::FromStr;

use crate::github::{GhError, Installation};
use crate::store::{Job, Store, StoreError};

/// The kinds of job the queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Check the templates of a pull request (`check::process_pr`).
    PullRequest,
    /// Find the pull requests of a fork's commit (`check::lookup`).
    PullRequestLookup,
    /// Record a workflow run's manifests in the registry.
    WorkflowRun,
    /// Open or update a bucket's bump pull request.
    Bump,
}

impl JobKind {
    /// The string stored in the `jobs.kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobKind::PullRequest => "pull_request",
            JobKind::PullRequestLookup => "pull_request_lookup",
            JobKind::WorkflowRun => "workflow_run",
            JobKind::Bump => "bump",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `jobs.kind` value this version of kiln-app does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job kind {0:?}")]
pub struct UnknownJobKind(pub String);

impl FromStr for JobKind {
    type Err = UnknownJobKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            JobKind::PullRequest,
            JobKind::PullRequestLookup,
            JobKind::WorkflowRun,
            JobKind::Bump,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| UnknownJobKind(s.to_string()))
    }
}

/// Everything a job's processor needs.
pub struct JobCtx<'a> {
    pub gh: &'a Installation,
    pub store: &'a Store,
    pub job: &'a Job,
    pub check_name: &'a str,
}

/// A job's end: the check run's conclusion and a one-line summary.
pub struct Processed {
    pub conclusion: &'static str,
    pub summary: String,
}

/// Why a job's processor stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    GitHub(#[from] GhError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("bad job payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("scratch directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("the claim on this job was lost to another worker")]
    LostClaim,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_column_strings() {
        for k in [
            JobKind::PullRequest,
            JobKind::PullRequestLookup,
            JobKind::WorkflowRun,
            JobKind::Bump,
        ] {
            assert_eq!(k.as_str().parse::<JobKind>(), Ok(k));
        }
        let e = "deploy".parse::<JobKind>().err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("unknown job kind \"deploy\""));
    }
}
