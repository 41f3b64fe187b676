//! The bump branch: whether its head is kiln's own commit, and writing a
//! commit through the Git Data API (blobs → tree on the default branch's
//! tree → commit whose parent is the default branch head → ref).

use serde_json::{json, Value};

use kiln_lang::bump::BumpPlan;

use crate::github::{GhError, Installation};
use crate::ids::RepoName;

/// The trailer naming the bucket in every commit kiln writes.
pub const TRAILER: &str = "Kiln-Bump";
/// The author and committer of kiln's commits.
pub const BOT_NAME: &str = "kiln[bot]";
pub const BOT_EMAIL: &str = "kiln[bot]@users.noreply.github.com";

/// The branch head commit, as far as kiln cares.
pub struct Head {
    pub sha: String,
    pub tree: String,
    pub parents: Vec<String>,
    /// Written by kiln for this bucket (author, committer and trailer).
    pub ours: bool,
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

/// Read a commit and decide whether kiln wrote it for `bucket`.
pub async fn head(
    gh: &Installation,
    repo: &RepoName,
    sha: &str,
    bucket: &str,
) -> Result<Head, GhError> {
    let c = gh.git_commit(repo, sha).await?;
    let trailer = format!("{TRAILER}: {bucket}");
    let ours = s(&c, "/author/name") == BOT_NAME
        && s(&c, "/author/email") == BOT_EMAIL
        && s(&c, "/committer/email") == BOT_EMAIL
        && s(&c, "/message").lines().any(|l| l.trim() == trailer);
    Ok(Head {
        sha: sha.to_string(),
        tree: s(&c, "/tree/sha").to_string(),
        parents: c
            .get("parents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("sha").and_then(Value::as_str).map(str::to_string))
            .collect(),
        ours,
    })
}

/// The tree of the plan's files on `base_tree`.
pub async fn tree(
    gh: &Installation,
    repo: &RepoName,
    base_tree: &str,
    plan: &BumpPlan,
) -> Result<String, GhError> {
    let mut entries = Vec::with_capacity(plan.files.len());
    for f in &plan.files {
        let sha = gh.create_blob(repo, &f.new).await?;
        entries.push((f.path.clone(), sha));
    }
    gh.create_tree(repo, base_tree, &entries).await
}

/// A commit of `tree` on `parent`, authored and committed by kiln.
pub async fn commit(
    gh: &Installation,
    repo: &RepoName,
    tree: &str,
    parent: &str,
    message: &str,
) -> Result<String, GhError> {
    let who = json!({ "name": BOT_NAME, "email": BOT_EMAIL });
    gh.create_commit(
        repo,
        &json!({
            "message": message,
            "tree": tree,
            "parents": [parent],
            "author": who,
            "committer": who,
        }),
    )
    .await
}
