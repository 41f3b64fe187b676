//! The pull request's title, body and commit message.

use kiln_lang::bump::BumpPlan;

use super::BumpJob;
use crate::registry::model::Version;

/// Marks kiln's bump pull requests and comments.
pub const MARKER: &str = "<!-- kiln-bump -->";

pub fn title(bucket: &str, v: &Version) -> String {
    format!("kiln: bump {bucket} images to {}", short(&v.fingerprint))
}

fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

/// The builds the plan's changes come from (`TYPE.NAME`), sorted.
fn builds(plan: &BumpPlan) -> Vec<String> {
    let mut b: Vec<String> = plan.changes.iter().map(|c| c.build.clone()).collect();
    b.sort();
    b.dedup();
    b
}

/// Table of old → new image per file/region, the build, the commit and
/// the workflow run.
pub fn pr_body(job: &BumpJob, v: &Version, plan: &BumpPlan) -> String {
    let mut md = format!(
        "{MARKER}\nkiln moves Terraform to the newest good images of bucket `{}`.\n\n",
        job.bucket
    );
    md.push_str(&plan.markdown_table());
    md.push('\n');
    md.push_str(&format!(
        "- **Build:** {}\n",
        builds(plan)
            .iter()
            .map(|b| format!("`{b}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    md.push_str(&format!(
        "- **Version:** `{}` (commit `{}` of {})\n",
        v.fingerprint, v.git_sha, v.repo
    ));
    match (&job.revoked, job.html_url.starts_with("https://")) {
        (Some(fp), _) => md.push_str(&format!(
            "- **Why:** version `{fp}` was revoked; this goes back to the previous good version.\n"
        )),
        (None, true) => md.push_str(&format!("- **Workflow run:** {}\n", job.html_url)),
        (None, false) => {}
    }
    if let Some(run) = v.run_id.filter(|_| job.revoked.is_some()) {
        md.push_str(&format!("- **Built by run:** {run}\n"));
    }
    md.push_str(&format!(
        "\nThis branch (`{}`) is managed by kiln: it is rebuilt on the default branch for every new build. Push to it and kiln stops updating it.\n",
        super::branch_name(&job.bucket)
    ));
    md
}

/// The commit message; the trailer marks kiln's own commits.
pub fn commit_message(job: &BumpJob, v: &Version, plan: &BumpPlan) -> String {
    format!(
        "{}\n\n{} value(s) in {} file(s) from version {} of bucket {}.\n\n{}: {}\n",
        title(&job.bucket, v),
        plan.changes.len(),
        plan.files.len(),
        v.fingerprint,
        job.bucket,
        super::branch::TRAILER,
        job.bucket
    )
}

pub fn superseded_comment(bucket: &str) -> String {
    format!("{MARKER}\nThe default branch already uses the newest good images of bucket `{bucket}`: this pull request is no longer needed. kiln closes it and deletes its branch.\n")
}

pub const NOTE_MARKER: &str = "<!-- kiln-bump-note -->";

pub fn human_note(bucket: &str, head: &str) -> String {
    format!("{NOTE_MARKER}\nSomeone pushed to `{}` (head `{head}` is not a kiln commit), so kiln no longer updates this pull request. Delete the branch or close this pull request to let kiln open a fresh one.\n", super::branch_name(bucket))
}
