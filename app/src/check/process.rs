//! One pull-request job end to end, as [`process_pr`] tells it: check run
//! in progress → changed files → the tree at the head SHA → repository
//! config → affected templates → scratch copy → engine → check run
//! completed → sticky comment.

use std::collections::BTreeSet;
use std::path::Path;

use super::check_run::{self, Final};
use super::engine::{check_template, TemplateReport};
use super::report;
use super::scratch::{self, MAX_FILE_BYTES};
use super::sticky;
use super::templates::{self, Affected};
use super::tree;
use super::workspace;
use crate::events::PrJob;
use crate::github::{GhError, Installation, TreeEntry};
use crate::job::{JobCtx, ProcessError, Processed};
use crate::repo_config::{self, RepoConfig};

/// Template directories checked per pull request.
const MAX_TEMPLATES: usize = 50;

pub async fn process_pr(ctx: &JobCtx<'_>) -> Result<Processed, ProcessError> {
    let pr: PrJob = serde_json::from_str(&ctx.job.payload)?;
    let run_id = check_run::start(ctx, &pr).await?;
    let changed = changed_files(ctx.gh, &pr).await?;
    let dirs = dirs_to_list(&changed);
    let (tree, walked) = tree::head_tree(ctx.gh, &pr.repo, &pr.head_sha, &dirs).await?;
    let cfg = match repo_config::fetch(ctx.gh, &pr.repo, &tree).await? {
        Ok(c) => c,
        Err(e) => return report_config_failure(ctx, &pr, run_id, &e).await,
    };
    let tree = if walked {
        walk_var_file_dirs(ctx.gh, &pr, tree, &dirs, &cfg).await?
    } else {
        tree
    };
    let mut skipped: Vec<String> = Vec::new();
    let tree = refuse_unsafe_paths(tree, &mut skipped);
    let affected = affected_templates(ctx.gh, &pr, &tree, &changed, &cfg).await?;

    let scratch = tempfile::Builder::new().prefix("kiln-app-").tempdir()?;
    let affected =
        copy_to_scratch(ctx.gh, &pr, scratch.path(), &tree, affected, &mut skipped).await?;
    let reports = run_engine(scratch.path(), &affected, &cfg).await?;
    drop(scratch);

    report_results(ctx, &pr, run_id, &cfg, &reports, &skipped).await
}

/// Every path the pull request touches (old names of renamed files too).
async fn changed_files(gh: &Installation, pr: &PrJob) -> Result<Vec<String>, GhError> {
    let files = gh.pr_files(&pr.repo, pr.number).await?;
    let mut changed: Vec<String> = Vec::new();
    for f in &files {
        changed.push(f.filename.clone());
        if let Some(prev) = &f.previous_filename {
            changed.push(prev.clone());
        }
    }
    Ok(changed)
}

/// Directories needed if the recursive listing comes back truncated: the
/// config's and the changed files' (all of them when the config changed).
fn dirs_to_list(changed: &[String]) -> tree::Wanted {
    let mut wanted = tree::Wanted {
        all: changed.iter().any(|c| c == repo_config::PATH),
        ..tree::Wanted::default()
    };
    wanted
        .dirs
        .insert(templates::parent(repo_config::PATH).to_string());
    for c in changed {
        wanted.dirs.insert(templates::parent(c).to_string());
    }
    wanted
}

/// An invalid `.github/kiln.yml` fails the check run at its line.
async fn report_config_failure(
    ctx: &JobCtx<'_>,
    pr: &PrJob,
    run_id: i64,
    e: &repo_config::ConfigFileError,
) -> Result<Processed, ProcessError> {
    let (title, summary, ann) = check_run::config_failure(e);
    check_run::complete(
        ctx,
        &pr.repo,
        run_id,
        Final {
            conclusion: "failure",
            title: &title,
            summary: &summary,
            text: "",
            annotations: &ann,
        },
    )
    .await?;
    Ok(Processed {
        conclusion: "failure",
        summary: title,
    })
}

/// After a walk: the config names var files (and their directories) to
/// list too; walk again when it adds any.
async fn walk_var_file_dirs(
    gh: &Installation,
    pr: &PrJob,
    tree: Vec<TreeEntry>,
    listed: &tree::Wanted,
    cfg: &RepoConfig,
) -> Result<Vec<TreeEntry>, GhError> {
    let mut more = listed.clone();
    for (dir, files) in &cfg.var_files {
        more.dirs.insert(dir.clone());
        for f in files {
            more.dirs.insert(templates::parent(f).to_string());
        }
    }
    if more.dirs.len() > listed.dirs.len() {
        return tree::walk(gh, &pr.repo, &pr.head_sha, &more).await;
    }
    Ok(tree)
}

/// Paths that could escape the scratch directory are refused up front.
fn refuse_unsafe_paths(tree: Vec<TreeEntry>, skipped: &mut Vec<String>) -> Vec<TreeEntry> {
    tree.into_iter()
        .filter(|e| {
            let ok = workspace::safe_join(Path::new("/"), &e.path).is_ok();
            if !ok {
                tracing::warn!(path = %e.path, "refusing an unsafe path from the API");
                skipped.push(format!("refused unsafe path {:?}", e.path));
            }
            ok
        })
        .collect()
}

/// The templates to check: directory templates of the changed files,
/// and changed legacy JSON templates — listed in the config, or found by
/// content (a top-level "builders" array). At most [`MAX_TEMPLATES`].
async fn affected_templates(
    gh: &Installation,
    pr: &PrJob,
    tree: &[TreeEntry],
    changed: &[String],
    cfg: &RepoConfig,
) -> Result<Vec<Affected>, GhError> {
    let tree_paths: Vec<String> = tree
        .iter()
        .filter(|e| e.kind == "blob")
        .map(|e| e.path.clone())
        .collect();
    let mut affected = templates::affected(changed, &tree_paths, cfg);
    let mut detected = BTreeSet::new();
    for e in tree
        .iter()
        .filter(|e| {
            e.kind == "blob"
                && templates::is_legacy_candidate(&e.path)
                && changed.contains(&e.path)
                && !cfg.legacy_templates.contains(&e.path)
                && e.size.unwrap_or(0) <= MAX_FILE_BYTES
        })
        .take(MAX_TEMPLATES)
    {
        if templates::looks_like_legacy_template(&gh.blob(&pr.repo, &e.sha).await?) {
            detected.insert(e.path.clone());
        }
    }
    affected.extend(templates::legacy_affected(
        changed,
        &tree_paths,
        cfg,
        &detected,
    ));
    affected.truncate(MAX_TEMPLATES);
    Ok(affected)
}

/// Fetch every file the engine may load into `root`; the affected
/// templates whose directory is itself unsafe are dropped.
async fn copy_to_scratch(
    gh: &Installation,
    pr: &PrJob,
    root: &Path,
    tree: &[TreeEntry],
    mut affected: Vec<Affected>,
    skipped: &mut Vec<String>,
) -> Result<Vec<Affected>, GhError> {
    let files = scratch::template_files(tree, &affected);
    scratch::fetch_templates(gh, &pr.repo, root, tree, &files, skipped).await?;
    scratch::fetch_referenced(gh, &pr.repo, root, tree, &files, skipped).await?;
    drop(files);
    affected.retain(|a| a.dir.is_empty() || workspace::safe_join(root, &a.dir).is_ok());
    Ok(affected)
}

/// Check every affected template on a thread of its own with a large
/// stack: deeply nested input must not overflow the engine's recursion
/// and take the server down.
async fn run_engine(
    root: &Path,
    affected: &[Affected],
    cfg: &RepoConfig,
) -> Result<Vec<TemplateReport>, ProcessError> {
    let root = root.to_path_buf();
    let cfg = cfg.clone();
    let affected = affected.to_vec();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("kiln-check".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let r: Vec<TemplateReport> = affected
                .iter()
                .map(|a| check_template(&root, a, &cfg))
                .collect();
            let _ = tx.send(r);
        })?;
    Ok(rx.await.unwrap_or_else(|_| {
        vec![TemplateReport {
            dir: String::new(),
            engine_failure: Some("the check thread stopped".into()),
            ..TemplateReport::default()
        }]
    }))
}

/// Complete the check run with the reports (and the skipped files), then
/// update the sticky comment when the config wants one.
async fn report_results(
    ctx: &JobCtx<'_>,
    pr: &PrJob,
    run_id: i64,
    cfg: &RepoConfig,
    reports: &[TemplateReport],
    skipped: &[String],
) -> Result<Processed, ProcessError> {
    let o = report::outcome(reports);
    let mut summary = o.summary.clone();
    if !skipped.is_empty() {
        summary.push_str("\n**Skipped files:**\n\n");
        for s in skipped {
            summary.push_str(&format!("- {s}\n"));
        }
    }
    check_run::complete(
        ctx,
        &pr.repo,
        run_id,
        Final {
            conclusion: o.conclusion,
            title: &o.title,
            summary: &summary,
            text: &o.text,
            annotations: &o.annotations,
        },
    )
    .await?;
    if cfg.comment && !reports.is_empty() {
        let body = sticky::comment_markdown(&o, reports, &pr.head_sha);
        sticky::update(ctx.gh, pr, &body).await?;
    }
    Ok(Processed {
        conclusion: o.conclusion,
        summary: o.title,
    })
}
