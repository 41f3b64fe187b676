//! The `kiln/bump` check run: one per bucket and commit, created or
//! updated in place (`external_id` `bump-<bucket>`).

use serde_json::{json, Value};

use kiln_lang::bump::BumpError;

use super::CHECK_NAME;
use crate::github::{GhError, Installation};
use crate::ids::RepoName;

/// The check run's final state.
pub struct Outcome<'a> {
    pub conclusion: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub annotations: Vec<Value>,
}

/// A failure annotation at the file position of a plan error.
pub fn annotation(e: &BumpError) -> Option<Value> {
    let at = e.location()?;
    Some(json!({
        "path": at.file,
        "start_line": at.line,
        "end_line": at.line,
        "start_column": at.column,
        "end_column": at.column,
        "annotation_level": "failure",
        "title": "kiln bump",
        "message": e.to_string(),
    }))
}

pub async fn report(
    gh: &Installation,
    repo: &RepoName,
    sha: &str,
    bucket: &str,
    o: Outcome<'_>,
) -> Result<(), GhError> {
    let external_id = format!("bump-{bucket}");
    let mut output = json!({ "title": o.title, "summary": o.summary });
    if !o.annotations.is_empty() {
        output["annotations"] = Value::Array(o.annotations.into_iter().take(50).collect());
    }
    let existing = gh.check_runs_for_ref(repo, sha, CHECK_NAME).await?;
    if let Some((id, _, _)) = existing.iter().find(|(_, ext, _)| *ext == external_id) {
        let patch = json!({"status": "completed", "conclusion": o.conclusion, "output": output});
        return gh.update_check_run(repo, *id, &patch).await;
    }
    let body = json!({
        "name": CHECK_NAME,
        "head_sha": sha,
        "status": "completed",
        "conclusion": o.conclusion,
        "external_id": external_id,
        "output": output,
    });
    gh.create_check_run(repo, &body).await.map(|_| ())
}
