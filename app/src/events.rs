//! Webhook payloads → what to record: a pull-request job, installation
//! bookkeeping, or nothing (ignored). Only the fields kiln-app uses are
//! read; unknown events and actions are ignored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{CommitSha, RepoName, RepoNameError};
use crate::job::JobKind;
use crate::store::{InstallOp, NewJob};

/// The work a pull-request job carries (stored as the job payload).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PrJob {
    pub repo: RepoName,
    pub number: i64,
    pub head_sha: CommitSha,
    /// Set when GitHub asked to re-run one check run.
    #[serde(default)]
    pub rerequested_check_run: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("malformed JSON payload: {0}")]
    Json(#[from] serde_json::Error),
    #[error("payload lacks {0}")]
    Missing(&'static str),
    #[error("repository.full_name: {0}")]
    Repo(#[from] RepoNameError),
}

/// What a delivery means.
#[derive(Debug, Clone)]
pub enum Parsed {
    Job(NewJob),
    Install(InstallOp),
    Ignored(&'static str),
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// `repository.full_name`, as a [`RepoName`].
fn repo_at(v: &Value) -> Result<RepoName, EventError> {
    let name = str_at(v, &["repository", "full_name"])
        .ok_or(EventError::Missing("repository.full_name"))?;
    Ok(RepoName::parse(name)?)
}

fn i64_at(v: &Value, path: &[&str]) -> Option<i64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_i64()
}

fn pr_job(
    v: &Value,
    repo: RepoName,
    number: i64,
    head_sha: &str,
    rerun: Option<i64>,
) -> Result<Parsed, EventError> {
    // Webhooks of a GitHub App carry the installation; others are not ours.
    let Some(installation_id) = i64_at(v, &["installation", "id"]) else {
        return Ok(Parsed::Ignored("event without an installation"));
    };
    let job = PrJob {
        repo: repo.clone(),
        number,
        head_sha: head_sha.into(),
        rerequested_check_run: rerun,
    };
    Ok(Parsed::Job(NewJob {
        kind: JobKind::PullRequest,
        installation_id,
        pr_key: format!("{repo}#{number}"),
        repo,
        head_sha: head_sha.into(),
        payload: serde_json::to_string(&job)?,
        skip_if_seen: false,
    }))
}

/// A check suite or run without `pull_requests` (a fork's): a job that
/// finds the pull requests of the head SHA (see `check::lookup`).
fn lookup_job(
    v: &Value,
    repo: RepoName,
    head_sha: &str,
    rerun: Option<i64>,
    skip_if_seen: bool,
) -> Result<Parsed, EventError> {
    let Some(installation_id) = i64_at(v, &["installation", "id"]) else {
        return Ok(Parsed::Ignored("event without an installation"));
    };
    let job = crate::check::lookup::LookupJob {
        repo: repo.clone(),
        head_sha: head_sha.into(),
        rerequested_check_run: rerun,
        skip_if_seen,
    };
    Ok(Parsed::Job(NewJob {
        kind: JobKind::PullRequestLookup,
        installation_id,
        repo,
        pr_key: job.pr_key(),
        head_sha: head_sha.into(),
        payload: serde_json::to_string(&job)?,
        skip_if_seen: false,
    }))
}

/// Parse the body of a verified delivery of event `event`.
pub fn parse(event: &str, body: &[u8]) -> Result<Parsed, EventError> {
    if event == "workflow_run" {
        return crate::registry::webhook::parse(body);
    }
    // Only the fields used are materialized: payloads are tens of KB and
    // this runs before the 2xx, so no full `Value` tree is built.
    let slim: slim::Payload = serde_json::from_slice(body)?;
    let v = serde_json::to_value(&slim)?;
    let action = str_at(&v, &["action"]).unwrap_or_default();
    match event {
        "pull_request" => {
            if !matches!(
                action,
                "opened" | "synchronize" | "reopened" | "ready_for_review"
            ) {
                return Ok(Parsed::Ignored("pull_request action"));
            }
            let repo = repo_at(&v)?;
            let number = i64_at(&v, &["pull_request", "number"])
                .or_else(|| i64_at(&v, &["number"]))
                .ok_or(EventError::Missing("pull_request.number"))?;
            let sha = str_at(&v, &["pull_request", "head", "sha"])
                .ok_or(EventError::Missing("pull_request.head.sha"))?;
            pr_job(&v, repo, number, sha, None)
        }
        "check_suite" => {
            if !matches!(action, "requested" | "rerequested") {
                return Ok(Parsed::Ignored("check_suite action"));
            }
            let repo = repo_at(&v)?;
            let sha = str_at(&v, &["check_suite", "head_sha"])
                .ok_or(EventError::Missing("check_suite.head_sha"))?;
            let number = v
                .get("check_suite")
                .and_then(|c| c.get("pull_requests"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|p| p.get("number"))
                .and_then(Value::as_i64);
            match number {
                Some(n) => {
                    let mut parsed = pr_job(&v, repo, n, sha, None)?;
                    if let Parsed::Job(j) = &mut parsed {
                        j.skip_if_seen = action == "requested";
                    }
                    Ok(parsed)
                }
                // Empty for pull requests from forks: the worker looks them up.
                None => lookup_job(&v, repo, sha, None, action == "requested"),
            }
        }
        "check_run" => {
            if action != "rerequested" {
                return Ok(Parsed::Ignored("check_run action"));
            }
            let repo = repo_at(&v)?;
            let sha = str_at(&v, &["check_run", "head_sha"])
                .ok_or(EventError::Missing("check_run.head_sha"))?;
            let run_id = i64_at(&v, &["check_run", "id"]);
            let number = v
                .get("check_run")
                .and_then(|c| c.get("pull_requests"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|p| p.get("number"))
                .and_then(Value::as_i64);
            match number {
                Some(n) => pr_job(&v, repo, n, sha, run_id),
                None => lookup_job(&v, repo, sha, run_id, false),
            }
        }
        "installation" | "installation_repositories" => {
            let id = i64_at(&v, &["installation", "id"])
                .ok_or(EventError::Missing("installation.id"))?;
            let account = str_at(&v, &["installation", "account", "login"])
                .unwrap_or_default()
                .to_string();
            let names = |key: &str| -> Vec<String> {
                v.get(key)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| {
                                r.get("full_name").and_then(Value::as_str).map(String::from)
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let active = !matches!(action, "deleted" | "suspend");
            let mut add = names("repositories");
            add.extend(names("repositories_added"));
            Ok(Parsed::Install(InstallOp::Upsert {
                id,
                account,
                active,
                add_repos: if active { add } else { Vec::new() },
                remove_repos: names("repositories_removed"),
            }))
        }
        _ => Ok(Parsed::Ignored("event")),
    }
}

/// The subset of webhook payloads kiln-app reads, with GitHub's key names.
mod slim {
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    #[derive(Deserialize, Serialize)]
    pub struct Payload {
        #[serde(skip_serializing_if = "Option::is_none")]
        action: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        number: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pull_request: Option<Pr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        repository: Option<Repo>,
        #[serde(skip_serializing_if = "Option::is_none")]
        installation: Option<Installation>,
        #[serde(skip_serializing_if = "Option::is_none")]
        check_suite: Option<Check>,
        #[serde(skip_serializing_if = "Option::is_none")]
        check_run: Option<Check>,
        #[serde(skip_serializing_if = "Option::is_none")]
        repositories: Option<Vec<Repo>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        repositories_added: Option<Vec<Repo>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        repositories_removed: Option<Vec<Repo>>,
    }

    #[derive(Deserialize, Serialize)]
    struct Pr {
        number: Option<Value>,
        head: Option<Head>,
    }

    #[derive(Deserialize, Serialize)]
    struct Head {
        sha: Option<Value>,
    }

    #[derive(Deserialize, Serialize)]
    struct Repo {
        full_name: Option<Value>,
    }

    #[derive(Deserialize, Serialize)]
    struct Installation {
        id: Option<Value>,
        account: Option<Account>,
    }

    #[derive(Deserialize, Serialize)]
    struct Account {
        login: Option<Value>,
    }

    #[derive(Deserialize, Serialize)]
    struct Check {
        id: Option<Value>,
        head_sha: Option<Value>,
        pull_requests: Option<Vec<PrRef>>,
    }

    #[derive(Deserialize, Serialize)]
    struct PrRef {
        number: Option<Value>,
    }
}
