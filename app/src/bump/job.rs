//! One bump job end to end (see the module docs for the API sequence).
//! Every step is safe to repeat: a job re-run from the queue after a
//! failure anywhere finds the branch, commit and pull request it already
//! made and converges on the same result.

use std::collections::BTreeMap;

use kiln_lang::bump::{is_terraform_file, plan, BumpPlan, BumpTarget};
use serde_json::Value;

use super::check::{self, Outcome};
use super::{body, branch, branch_name, pull, source, BumpJob};
use crate::github::{GhError, Installation, TreeEntry};
use crate::ids::RepoName;
use crate::job::{JobCtx, ProcessError, Processed};
use crate::registry::model::Version;
use crate::registry::store::{Registry, RegistryError};
use crate::repo_config::RepoConfig;

/// Terraform files larger than this are not read.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

fn done(conclusion: &'static str, summary: String) -> Processed {
    Processed {
        conclusion,
        summary,
    }
}

/// The newest version of the bucket that is not revoked.
async fn newest_good(ctx: &JobCtx<'_>, bucket: &str) -> Result<Option<Version>, ProcessError> {
    match Registry::new(ctx.store).versions(bucket).await {
        Ok(vs) => Ok(vs.into_iter().flatten().find(|v| !v.revoked)),
        Err(RegistryError::Store(e)) => Err(ProcessError::Store(e)),
        Err(e) => {
            tracing::warn!(%bucket, error = %e, "bump: reading the registry");
            Ok(None)
        }
    }
}

/// The targets whose build the manifest has.
fn targets_for(cfg: &RepoConfig, m: &kiln_lang::manifest::ManifestFile) -> Vec<BumpTarget> {
    cfg.bump
        .iter()
        .filter(|t| {
            m.builds
                .iter()
                .any(|b| b.name == t.build || b.type_and_name() == t.build)
        })
        .cloned()
        .collect()
}

/// The contents of every Terraform file a target matches.
async fn files(
    gh: &Installation,
    repo: &RepoName,
    tree: &[TreeEntry],
    targets: &[BumpTarget],
) -> Result<BTreeMap<String, String>, GhError> {
    let mut out = BTreeMap::new();
    for e in tree {
        if e.kind != "blob"
            || !is_terraform_file(&e.path)
            || !targets.iter().any(|t| t.matches(&e.path))
            || e.size.is_some_and(|n| n > MAX_FILE_BYTES)
        {
            continue;
        }
        let bytes = gh.blob(repo, &e.sha).await?;
        if let Ok(text) = String::from_utf8(bytes) {
            out.insert(e.path.clone(), text);
        }
    }
    Ok(out)
}

/// The `kiln/bump` check run of this job: on the build's head SHA, or
/// the default branch head when the job has none.
struct Reporter<'a> {
    gh: &'a Installation,
    repo: &'a RepoName,
    sha: String,
    bucket: &'a str,
}

impl Reporter<'_> {
    /// Complete the check run; the job ends with its conclusion and title.
    async fn send(
        &self,
        conclusion: &'static str,
        title: String,
        summary: String,
        annotations: Vec<Value>,
    ) -> Result<Processed, ProcessError> {
        check::report(
            self.gh,
            self.repo,
            &self.sha,
            self.bucket,
            Outcome {
                conclusion,
                title: &title,
                summary: &summary,
                annotations,
            },
        )
        .await?;
        Ok(done(conclusion, title))
    }
}

pub async fn process(ctx: &JobCtx<'_>) -> Result<Processed, ProcessError> {
    let job: BumpJob = serde_json::from_str(&ctx.job.payload)?;
    let gh = ctx.gh;
    let repo = &job.repo;
    let Some(base) = gh.branch_head(repo, &job.default_branch).await? else {
        return Ok(done(
            "failure",
            format!("branch {} not found", job.default_branch),
        ));
    };
    let report = Reporter {
        gh,
        repo,
        sha: if job.head_sha.is_empty() {
            base.clone()
        } else {
            job.head_sha.to_string()
        },
        bucket: &job.bucket,
    };
    let base_commit = branch::head(gh, repo, &base, &job.bucket).await?;
    let tree = gh.tree(repo, &base).await?;
    let cfg = match crate::repo_config::fetch(gh, repo, &tree).await? {
        Ok(c) => c,
        Err(e) => {
            let summary = format!("```\n{e}\n```\n");
            return report
                .send("failure", "Invalid kiln config".into(), summary, vec![])
                .await;
        }
    };
    let Some(version) = newest_good(ctx, &job.bucket).await? else {
        return Ok(done(
            "skipped",
            format!("bucket {} has no good version", job.bucket),
        ));
    };
    let manifest = source::manifest_of(&version);
    let targets = targets_for(&cfg, &manifest);
    if targets.is_empty() {
        return Ok(done(
            "skipped",
            format!("no bump target builds bucket {}", job.bucket),
        ));
    }
    let contents = files(gh, repo, &tree, &targets).await?;
    let plan = match plan(&manifest, &targets, &contents) {
        Ok(p) => p,
        Err(e) => return report_not_planned(&report, &job, &e).await,
    };
    let br = branch_name(&job.bucket);
    let head = match gh.branch_head(repo, &br).await? {
        Some(sha) => Some(branch::head(gh, repo, &sha, &job.bucket).await?),
        None => None,
    };
    let open = pull::find(gh, repo, &br).await?;
    if let Some(h) = head.as_ref().filter(|h| !h.ours) {
        return report_human_branch(&report, &job, &br, h, open, &plan).await;
    }
    if plan.is_empty() {
        return supersede(ctx, &job, &br, open, head.is_some(), &version, &report).await;
    }
    let sha = write(
        gh,
        repo,
        &job,
        &version,
        &plan,
        &base_commit,
        head.as_ref(),
        &br,
    )
    .await?;
    let Some(sha) = sha else {
        let summary =
            format!("Branch `{br}` appeared with commits not written by kiln; not updated.\n");
        return report
            .send(
                "neutral",
                format!("{br} was changed by someone else; not updated"),
                summary,
                vec![],
            )
            .await;
    };
    let number = publish(gh, &job, &cfg, &version, &plan, &br, open).await?;
    if !ctx.store.still_owned(ctx.job).await? {
        return Err(ProcessError::LostClaim);
    }
    let what = match (open, number) {
        (Some(n), _) => format!("Updated pull request #{n}"),
        (None, Some(n)) => format!("Opened pull request #{n}"),
        (None, None) => "Pushed the branch".to_string(),
    };
    tracing::info!(%repo, bucket = %job.bucket, commit = %sha, pr = ?number, "bump pull request");
    let summary = format!(
        "{what} from `{br}` (commit `{sha}`), version `{}`.\n\n{}",
        version.fingerprint,
        plan.markdown_table()
    );
    report.send("success", what, summary, vec![]).await
}

/// The plan failed (a Terraform file does not parse, a value is not
/// where the target says): a failed check run, annotated when located.
async fn report_not_planned(
    report: &Reporter<'_>,
    job: &BumpJob,
    e: &kiln_lang::bump::BumpError,
) -> Result<Processed, ProcessError> {
    tracing::warn!(repo = %job.repo, bucket = %job.bucket, error = %e, "bump not planned");
    let ann: Vec<_> = check::annotation(e).into_iter().collect();
    let summary = format!(
        "kiln did not open or update the bump pull request for bucket `{}`:\n\n```\n{e}\n```\n",
        job.bucket
    );
    report
        .send(
            "failure",
            "Terraform files could not be bumped".into(),
            summary,
            ann,
        )
        .await
}

/// Someone else pushed to the bump branch: kiln leaves it alone, says so
/// once on the open pull request, and reports what it would have changed.
async fn report_human_branch(
    report: &Reporter<'_>,
    job: &BumpJob,
    br: &str,
    h: &branch::Head,
    open: Option<i64>,
    plan: &BumpPlan,
) -> Result<Processed, ProcessError> {
    if let Some(n) = open {
        pull::note(
            report.gh,
            &job.repo,
            n,
            &body::human_note(&job.bucket, &h.sha),
        )
        .await?;
    }
    let summary = format!(
        "Branch `{br}` has commits not written by kiln (head `{}`), so kiln did not update it{}.\n\n{}",
        h.sha,
        open.map(|n| format!(" or pull request #{n}")).unwrap_or_default(),
        plan.markdown_table()
    );
    report
        .send(
            "neutral",
            format!("{br} was changed by someone else; not updated"),
            summary,
            vec![],
        )
        .await
}

/// Open the pull request or update the open one, and label it; its number.
async fn publish(
    gh: &Installation,
    job: &BumpJob,
    cfg: &RepoConfig,
    version: &Version,
    plan: &BumpPlan,
    br: &str,
    open: Option<i64>,
) -> Result<Option<i64>, GhError> {
    let title = body::title(&job.bucket, version);
    let text = body::pr_body(job, version, plan);
    let number = pull::upsert(gh, &job.repo, br, &job.default_branch, open, &title, &text).await?;
    let labels: Vec<String> = cfg.bump_labels.iter().map(|l| l.0.clone()).collect();
    if let (Some(n), false) = (number, labels.is_empty()) {
        gh.add_labels(&job.repo, n, &labels).await?;
    }
    Ok(number)
}

/// Commit the plan on the default branch head and point the branch at it;
/// `None` when the branch turned out not to be kiln's.
#[allow(clippy::too_many_arguments)]
async fn write(
    gh: &Installation,
    repo: &RepoName,
    job: &BumpJob,
    version: &Version,
    plan: &BumpPlan,
    base: &branch::Head,
    head: Option<&branch::Head>,
    br: &str,
) -> Result<Option<String>, ProcessError> {
    let tree = branch::tree(gh, repo, &base.tree, plan).await?;
    // Already there (a re-run after the ref was moved): nothing to write.
    if let Some(h) = head.filter(|h| h.tree == tree && h.parents == [base.sha.clone()]) {
        return Ok(Some(h.sha.clone()));
    }
    let msg = body::commit_message(job, version, plan);
    let sha = branch::commit(gh, repo, &tree, &base.sha, &msg).await?;
    if head.is_some() {
        gh.force_branch(repo, br, &sha).await?;
        return Ok(Some(sha));
    }
    if gh.create_branch(repo, br, &sha).await? {
        return Ok(Some(sha));
    }
    // It exists after all (a retried create that went through, or a race):
    // move it only if it is ours.
    let Some(now) = gh.branch_head(repo, br).await? else {
        return Ok(gh.create_branch(repo, br, &sha).await?.then_some(sha));
    };
    if now == sha {
        return Ok(Some(sha));
    }
    if !branch::head(gh, repo, &now, &job.bucket).await?.ours {
        return Ok(None);
    }
    gh.force_branch(repo, br, &sha).await?;
    Ok(Some(sha))
}

/// Nothing to change: close the open pull request and delete the branch.
async fn supersede(
    ctx: &JobCtx<'_>,
    job: &BumpJob,
    br: &str,
    open: Option<i64>,
    branch_exists: bool,
    version: &Version,
    report: &Reporter<'_>,
) -> Result<Processed, ProcessError> {
    let gh = ctx.gh;
    if let Some(n) = open {
        pull::close_superseded(gh, &job.repo, n, &job.bucket).await?;
    }
    if branch_exists {
        gh.delete_branch(&job.repo, br).await?;
    }
    let title = match open {
        Some(n) => format!("Closed superseded pull request #{n}"),
        None => "Terraform is up to date".to_string(),
    };
    let summary = format!(
        "The default branch already uses version `{}` of bucket `{}`.\n",
        version.fingerprint, job.bucket
    );
    report.send("success", title, summary, vec![]).await
}
