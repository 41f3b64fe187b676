//! The scratch copy the engine reads: the files of the affected
//! templates (their directories' Packer files, var files, legacy
//! templates), then the files those templates name (`file()`,
//! `templatefile()`, `fileset()`, …). Oversized and unsafe paths are
//! skipped and listed, never written.

use std::collections::BTreeSet;
use std::path::Path;

use super::calls::server_side_call;
use super::templates::{self, Affected};
use super::workspace;
use crate::github::{GhError, Installation, TreeEntry};
use crate::ids::RepoName;

/// Files larger than this are not fetched (templates are small).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Files referenced by templates fetched per pull request.
const MAX_REFERENCED_FILES: usize = 200;

/// Repository paths the engine loads for the affected templates.
pub fn template_files<'a>(tree: &'a [TreeEntry], affected: &'a [Affected]) -> BTreeSet<&'a str> {
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for a in affected {
        for e in tree {
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
    wanted
}

/// Fetch the `wanted` blobs of `tree` into `root`.
pub async fn fetch_templates(
    gh: &Installation,
    repo: &RepoName,
    root: &Path,
    tree: &[TreeEntry],
    wanted: &BTreeSet<&str>,
    skipped: &mut Vec<String>,
) -> Result<(), GhError> {
    for e in tree
        .iter()
        .filter(|e| e.kind == "blob" && wanted.contains(e.path.as_str()))
    {
        if workspace::safe_join(root, &e.path).is_err() {
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
        let bytes = gh.blob(repo, &e.sha).await?;
        if let Err(err) = workspace::write(root, &e.path, &bytes) {
            skipped.push(err.to_string());
        }
    }
    Ok(())
}

/// Files the templates may read (`file()`, `templatefile()`,
/// `fileset()`, …): blobs named in a fetched template by their path
/// relative to its directory or the repository, or by their directory.
/// The engine's sandbox confines reads to this scratch copy.
pub async fn fetch_referenced(
    gh: &Installation,
    repo: &RepoName,
    root: &Path,
    tree: &[TreeEntry],
    fetched: &BTreeSet<&str>,
    skipped: &mut Vec<String>,
) -> Result<(), GhError> {
    let texts = calling_texts(root, fetched);
    if texts.is_empty() {
        return Ok(());
    }
    let mut extra = 0;
    for e in tree.iter().filter(|e| {
        e.kind == "blob"
            && !fetched.contains(e.path.as_str())
            && e.size.unwrap_or(0) <= MAX_FILE_BYTES
    }) {
        let named = texts
            .iter()
            .any(|(dir, text)| templates::names_file(text, dir, &e.path));
        if !named || workspace::safe_join(root, &e.path).is_err() {
            continue;
        }
        if extra >= MAX_REFERENCED_FILES {
            skipped.push(format!(
                "more than {MAX_REFERENCED_FILES} files referenced by templates"
            ));
            break;
        }
        extra += 1;
        let bytes = gh.blob(repo, &e.sha).await?;
        if let Err(err) = workspace::write(root, &e.path, &bytes) {
            skipped.push(err.to_string());
        }
    }
    Ok(())
}

/// `(directory, text)` of the fetched files that call a server-side
/// function.
fn calling_texts(root: &Path, fetched: &BTreeSet<&str>) -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = Vec::new();
    for p in fetched {
        if let Ok(b) = std::fs::read(root.join(p)) {
            let text = String::from_utf8_lossy(&b).into_owned();
            if server_side_call(&text).is_some() {
                texts.push((templates::parent(p).to_string(), text));
            }
        }
    }
    texts
}
