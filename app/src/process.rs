//! One pull-request job end to end: check run in progress → repository
//! config → changed files → affected templates → scratch copy at the head
//! SHA → engine → check run completed (annotations in batches) → sticky
//! comment.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use crate::check::{check_template, TemplateReport};
use crate::events::PrJob;
use crate::github::{GhError, Installation};
use crate::repo_config::ConfigFileError;
use crate::report::{self, ANNOTATIONS_PER_REQUEST, GITHUB_TEXT_LIMIT};
use crate::store::{Job, Store};
use crate::templates;
use crate::tree;
use crate::workspace;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    GitHub(#[from] GhError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("bad job payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("scratch directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("the claim on this job was lost to another worker")]
    LostClaim,
}

/// Files larger than this are not fetched (templates are small).
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Files referenced by templates fetched per pull request.
const MAX_REFERENCED_FILES: usize = 200;
/// Template directories checked per pull request.
const MAX_TEMPLATES: usize = 50;

pub struct Processed {
    pub conclusion: &'static str,
    pub summary: String,
}

/// Everything a job needs.
pub struct JobCtx<'a> {
    pub gh: &'a Installation,
    pub store: &'a Store,
    pub job: &'a Job,
    pub check_name: &'a str,
}

fn config_failure(e: &ConfigFileError) -> (String, String, Vec<Value>) {
    let title = format!("Invalid {} (line {})", crate::repo_config::PATH, e.line);
    let summary =
        format!("**{title}**\n\nkiln could not read its repository config:\n\n```\n{e}\n```\n");
    let ann = vec![json!({
        "path": crate::repo_config::PATH,
        "start_line": e.line,
        "end_line": e.line,
        "annotation_level": "failure",
        "title": "Invalid kiln config",
        "message": e.message,
    })];
    (title, summary, ann)
}

/// Create (or, for a re-claimed job, reuse) the check run, in progress.
async fn start_check_run(ctx: &JobCtx<'_>, pr: &PrJob) -> Result<i64, ProcessError> {
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

/// Send the final output: annotations in batches of 50 (all but the last
/// batch while still in progress), then the completed state.
/// The final state of a check run.
struct Final<'a> {
    conclusion: &'a str,
    title: &'a str,
    summary: &'a str,
    text: &'a str,
    annotations: &'a [Value],
}

async fn complete_check_run(
    ctx: &JobCtx<'_>,
    repo: &str,
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

/// Create, update in place, or delete kiln's sticky comment parts.
async fn sticky_comment(gh: &Installation, pr: &PrJob, body: &str) -> Result<(), GhError> {
    let parts = report::split_comment(body, GITHUB_TEXT_LIMIT);
    let existing = gh.comments(&pr.repo, pr.number).await?;
    let mut mine: Vec<(usize, i64)> = existing
        .iter()
        .filter_map(|c| Some((report::sticky_part(c.body.as_deref()?)?, c.id)))
        .collect();
    mine.sort();
    let mut used = BTreeSet::new();
    for (i, part) in parts.iter().enumerate() {
        match mine.iter().find(|(p, id)| *p == i && !used.contains(id)) {
            Some((_, id)) => {
                used.insert(*id);
                match gh.update_comment(&pr.repo, *id, part).await {
                    Ok(()) => {}
                    // Deleted by someone meanwhile: post it again.
                    Err(e) if e.status() == Some(404) => {
                        gh.create_comment(&pr.repo, pr.number, part).await?;
                    }
                    Err(e) => return Err(e),
                }
            }
            None => {
                gh.create_comment(&pr.repo, pr.number, part).await?;
            }
        }
    }
    for (_, id) in mine {
        if !used.contains(&id) {
            gh.delete_comment(&pr.repo, id).await?;
        }
    }
    Ok(())
}

pub async fn process_pr(ctx: &JobCtx<'_>) -> Result<Processed, ProcessError> {
    let pr: PrJob = serde_json::from_str(&ctx.job.payload)?;
    let run_id = start_check_run(ctx, &pr).await?;
    let files = ctx.gh.pr_files(&pr.repo, pr.number).await?;
    let mut changed: Vec<String> = Vec::new();
    for f in &files {
        changed.push(f.filename.clone());
        if let Some(prev) = &f.previous_filename {
            changed.push(prev.clone());
        }
    }
    // Directories needed if the recursive listing comes back truncated.
    let mut wanted = tree::Wanted {
        all: changed.iter().any(|c| c == crate::repo_config::PATH),
        ..tree::Wanted::default()
    };
    wanted
        .dirs
        .insert(templates::parent(crate::repo_config::PATH).to_string());
    for c in &changed {
        wanted.dirs.insert(templates::parent(c).to_string());
    }
    let (mut tree, walked) = tree::head_tree(ctx.gh, &pr.repo, &pr.head_sha, &wanted).await?;
    let cfg = match crate::repo_config::fetch(ctx.gh, &pr.repo, &tree).await? {
        Ok(c) => c,
        Err(e) => {
            let (title, summary, ann) = config_failure(&e);
            complete_check_run(
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
            return Ok(Processed {
                conclusion: "failure",
                summary: title,
            });
        }
    };
    if walked {
        // The config names var files (and their directories) to list too.
        let mut more = wanted.clone();
        for (dir, files) in &cfg.var_files {
            more.dirs.insert(dir.clone());
            for f in files {
                more.dirs.insert(templates::parent(f).to_string());
            }
        }
        if more.dirs.len() > wanted.dirs.len() {
            tree = tree::walk(ctx.gh, &pr.repo, &pr.head_sha, &more).await?;
        }
    }
    // Paths that could escape the scratch directory are refused up front.
    let mut skipped: Vec<String> = Vec::new();
    let tree: Vec<_> = tree
        .into_iter()
        .filter(|e| {
            let ok = workspace::safe_join(Path::new("/"), &e.path).is_ok();
            if !ok {
                tracing::warn!(path = %e.path, "refusing an unsafe path from the API");
                skipped.push(format!("refused unsafe path {:?}", e.path));
            }
            ok
        })
        .collect();
    let tree_paths: Vec<String> = tree
        .iter()
        .filter(|e| e.kind == "blob")
        .map(|e| e.path.clone())
        .collect();
    let mut affected = templates::affected(&changed, &tree_paths, &cfg);
    // Changed `*.json` files that are legacy templates: listed in the
    // config, or found by content (a top-level "builders" array).
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
        if templates::looks_like_legacy_template(&ctx.gh.blob(&pr.repo, &e.sha).await?) {
            detected.insert(e.path.clone());
        }
    }
    affected.extend(templates::legacy_affected(
        &changed,
        &tree_paths,
        &cfg,
        &detected,
    ));
    affected.truncate(MAX_TEMPLATES);

    // Scratch copy of every file the engine may load.
    let scratch = tempfile::Builder::new().prefix("kiln-app-").tempdir()?;
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for a in &affected {
        for e in &tree {
            if e.kind == "blob"
                && templates::parent(&e.path) == a.dir
                && templates::is_packer_file(&e.path)
            {
                wanted.insert(&e.path);
            }
        }
        for v in &a.var_files {
            wanted.insert(v);
        }
        if let Some(l) = &a.legacy {
            wanted.insert(l);
        }
    }
    for e in tree
        .iter()
        .filter(|e| e.kind == "blob" && wanted.contains(e.path.as_str()))
    {
        if workspace::safe_join(scratch.path(), &e.path).is_err() {
            tracing::warn!(path = %e.path, "refusing an unsafe path from the API");
            skipped.push(format!("refused unsafe path {:?}", e.path));
            continue;
        }
        if e.size.unwrap_or(0) > MAX_FILE_BYTES {
            skipped.push(format!(
                "{} is larger than {} bytes",
                e.path, MAX_FILE_BYTES
            ));
            continue;
        }
        let bytes = ctx.gh.blob(&pr.repo, &e.sha).await?;
        if let Err(err) = workspace::write(scratch.path(), &e.path, &bytes) {
            skipped.push(err.to_string());
        }
    }
    // Files the templates may read (`file()`, `templatefile()`,
    // `fileset()`, …): blobs named in a fetched template by their path
    // relative to its directory or the repository, or by their directory.
    // The engine's sandbox confines reads to this scratch copy.
    let mut texts: Vec<(String, String)> = Vec::new();
    for p in &wanted {
        if let Ok(b) = std::fs::read(scratch.path().join(p)) {
            let text = String::from_utf8_lossy(&b).into_owned();
            if crate::check::server_side_call(&text).is_some() {
                texts.push((templates::parent(p).to_string(), text));
            }
        }
    }
    if !texts.is_empty() {
        let mut extra = 0;
        for e in tree.iter().filter(|e| {
            e.kind == "blob"
                && !wanted.contains(e.path.as_str())
                && e.size.unwrap_or(0) <= MAX_FILE_BYTES
        }) {
            let named = texts
                .iter()
                .any(|(dir, text)| templates::names_file(text, dir, &e.path));
            if !named || workspace::safe_join(scratch.path(), &e.path).is_err() {
                continue;
            }
            if extra >= MAX_REFERENCED_FILES {
                skipped.push(format!(
                    "more than {MAX_REFERENCED_FILES} files referenced by templates"
                ));
                break;
            }
            extra += 1;
            let bytes = ctx.gh.blob(&pr.repo, &e.sha).await?;
            if let Err(err) = workspace::write(scratch.path(), &e.path, &bytes) {
                skipped.push(err.to_string());
            }
        }
    }
    // Affected directories whose path is itself unsafe are dropped.
    affected.retain(|a| a.dir.is_empty() || workspace::safe_join(scratch.path(), &a.dir).is_ok());

    let root = scratch.path().to_path_buf();
    let cfg2 = cfg.clone();
    let affected2 = affected.clone();
    // A thread of its own with a large stack: deeply nested input must
    // not overflow the engine's recursion and take the server down.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("kiln-check".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let r: Vec<TemplateReport> = affected2
                .iter()
                .map(|a| check_template(&root, a, &cfg2))
                .collect();
            let _ = tx.send(r);
        });
    let reports: Vec<TemplateReport> = match spawned {
        Ok(_) => rx.await.unwrap_or_else(|_| {
            vec![TemplateReport {
                dir: String::new(),
                engine_failure: Some("the check thread stopped".into()),
                ..TemplateReport::default()
            }]
        }),
        Err(e) => return Err(ProcessError::Io(e)),
    };
    drop(scratch);

    let o = report::outcome(&reports);
    let mut summary = o.summary.clone();
    if !skipped.is_empty() {
        summary.push_str("\n**Skipped files:**\n\n");
        for s in &skipped {
            summary.push_str(&format!("- {s}\n"));
        }
    }
    complete_check_run(
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
        let body = report::comment_markdown(&o, &reports, &pr.head_sha);
        sticky_comment(ctx.gh, &pr, &body).await?;
    }
    Ok(Processed {
        conclusion: o.conclusion,
        summary: o.title,
    })
}
