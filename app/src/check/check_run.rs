//! The pull request's check run: created in progress (or, for a
//! re-claimed job, found again), then completed with the final output —
//! annotations in batches of 50, all but the last while still in
//! progress, and the completed state only by the claim holder.

use serde_json::{json, Value};

use super::report::ANNOTATIONS_PER_REQUEST;
use crate::events::PrJob;
use crate::ids::RepoName;
use crate::job::{JobCtx, ProcessError};
use crate::repo_config::{self, ConfigFileError};

/// Create (or, for a re-claimed job, reuse) the check run, in progress.
pub async fn start(ctx: &JobCtx<'_>, pr: &PrJob) -> Result<i64, ProcessError> {
    if let Some(id) = ctx.store.check_run_of(ctx.job.id).await? {
        return Ok(id);
    }
    // A re-claimed job whose first attempt died between GitHub creating
    // the check run and kiln recording it: find it by external_id.
    if ctx.job.attempts > 1 {
        let runs = ctx
            .gh
            .check_runs_for_ref(&pr.repo, &pr.head_sha, ctx.check_name)
            .await?;
        let mine = ctx.job.id.to_string();
        if let Some((id, _, _)) = runs
            .iter()
            .find(|(_, ext, st)| *ext == mine && st != "completed")
        {
            ctx.store.set_check_run(ctx.job, *id).await?;
            return Ok(*id);
        }
    }
    let id = ctx
        .gh
        .create_check_run(
            &pr.repo,
            &json!({
                "name": ctx.check_name,
                "head_sha": pr.head_sha,
                "status": "in_progress",
                "external_id": ctx.job.id.to_string(),
                "output": { "title": "Checking Packer templates", "summary": "kiln is validating the templates this pull request changes." },
            }),
        )
        .await?;
    ctx.store.set_check_run(ctx.job, id).await?;
    Ok(id)
}

/// The final state of a check run.
pub struct Final<'a> {
    pub conclusion: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub text: &'a str,
    pub annotations: &'a [Value],
}

/// Send the final output: annotations in batches of 50 (all but the last
/// batch while still in progress), then the completed state.
pub async fn complete(
    ctx: &JobCtx<'_>,
    repo: &RepoName,
    id: i64,
    f: Final<'_>,
) -> Result<(), ProcessError> {
    let Final {
        conclusion,
        title,
        summary,
        text,
        annotations,
    } = f;
    let mut batches: Vec<&[Value]> = annotations.chunks(ANNOTATIONS_PER_REQUEST).collect();
    let last = batches.pop().unwrap_or(&[]);
    let output = |batch: &[Value]| {
        let mut o = json!({ "title": title, "summary": summary, "annotations": batch });
        if !text.is_empty() {
            o["text"] = json!(text);
        }
        o
    };
    for b in batches {
        ctx.gh
            .update_check_run(repo, id, &json!({ "output": output(b) }))
            .await?;
    }
    // Only the claim holder completes the check run.
    if !ctx.store.still_owned(ctx.job).await? {
        return Err(ProcessError::LostClaim);
    }
    ctx.gh
        .update_check_run(
            repo,
            id,
            &json!({
                "status": "completed",
                "conclusion": conclusion,
                "output": output(last),
            }),
        )
        .await?;
    Ok(())
}

/// The check run's title, summary and annotation for an invalid
/// repository config.
pub fn config_failure(e: &ConfigFileError) -> (String, String, Vec<Value>) {
    let title = format!("Invalid {} (line {})", repo_config::PATH, e.line);
    let summary =
        format!("**{title}**\n\nkiln could not read its repository config:\n\n```\n{e}\n```\n");
    let ann = vec![json!({
        "path": repo_config::PATH,
        "start_line": e.line,
        "end_line": e.line,
        "annotation_level": "failure",
        "title": "Invalid kiln config",
        "message": e.message,
    })];
    (title, summary, ann)
}
