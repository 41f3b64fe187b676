//! The bucket's pull request: found by its head branch, opened once,
//! updated in place, closed as superseded.

use serde_json::{json, Value};

use crate::github::{GhError, Installation};
use crate::ids::RepoName;

use super::body;

/// The open pull request from `branch` (the lowest number if several).
pub async fn find(
    gh: &Installation,
    repo: &RepoName,
    branch: &str,
) -> Result<Option<i64>, GhError> {
    let pulls = gh.open_pulls_from(repo, branch).await?;
    Ok(pulls
        .iter()
        .filter_map(|p| p.get("number").and_then(Value::as_i64))
        .min())
}

/// Open the pull request or update the open one; returns its number.
pub async fn upsert(
    gh: &Installation,
    repo: &RepoName,
    branch: &str,
    base: &str,
    existing: Option<i64>,
    title: &str,
    text: &str,
) -> Result<Option<i64>, GhError> {
    let patch = json!({ "title": title, "body": text });
    if let Some(n) = existing {
        gh.update_pull(repo, n, &patch).await?;
        return Ok(Some(n));
    }
    let create = json!({ "title": title, "body": text, "head": branch, "base": base });
    if let Some(n) = gh.create_pull(repo, &create).await? {
        return Ok(Some(n));
    }
    // 422: a retried create whose first attempt went through.
    match find(gh, repo, branch).await? {
        Some(n) => {
            gh.update_pull(repo, n, &patch).await?;
            Ok(Some(n))
        }
        None => Ok(None),
    }
}

/// Post `text` once on the pull request (a comment starting with the
/// same first line is updated instead).
pub async fn note(
    gh: &Installation,
    repo: &RepoName,
    number: i64,
    text: &str,
) -> Result<(), GhError> {
    let first = text.lines().next().unwrap_or_default();
    let comments = gh.comments(repo, number).await?;
    if let Some(c) = comments.iter().find(|c| {
        c.body
            .as_deref()
            .is_some_and(|b| b.lines().next() == Some(first))
    }) {
        if c.body.as_deref() != Some(text) {
            gh.update_comment(repo, c.id, text).await?;
        }
        return Ok(());
    }
    gh.create_comment(repo, number, text).await.map(|_| ())
}

/// Comment, close.
pub async fn close_superseded(
    gh: &Installation,
    repo: &RepoName,
    number: i64,
    bucket: &str,
) -> Result<(), GhError> {
    note(gh, repo, number, &body::superseded_comment(bucket)).await?;
    gh.update_pull(repo, number, &json!({ "state": "closed" }))
        .await
}
