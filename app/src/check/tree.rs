//! The file list at a pull request's head SHA. One recursive
//! `GET /git/trees/{sha}?recursive=1` when GitHub returns it whole; when
//! the answer is `truncated` (very large repositories), the directories
//! kiln needs are walked instead, one non-recursive tree request each,
//! descending only into the needed directories and their ancestors.

use std::collections::{BTreeSet, VecDeque};

use crate::github::{GhError, Installation, TreeEntry};
use crate::ids::RepoName;

/// Most non-recursive tree requests spent on one walk.
const MAX_TREE_REQUESTS: usize = 500;

/// Which directories to list when walking.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Repository-relative directories (`""` = root).
    pub dirs: BTreeSet<String>,
    /// Walk everything (bounded by the request cap).
    pub all: bool,
}

impl Wanted {
    /// `dir` is wanted or lies on the way to a wanted directory.
    fn descend(&self, dir: &str) -> bool {
        self.all
            || self.dirs.iter().any(|w| {
                w == dir || (w.starts_with(dir) && w.as_bytes().get(dir.len()) == Some(&b'/'))
            })
    }
}

/// The blobs and trees at `sha`, and whether a walk was needed because
/// the recursive listing was truncated.
pub async fn head_tree(
    gh: &Installation,
    repo: &RepoName,
    sha: &str,
    wanted: &Wanted,
) -> Result<(Vec<TreeEntry>, bool), GhError> {
    let full = gh.tree_listing(repo, sha, true).await?;
    if !full.truncated {
        return Ok((full.entries, false));
    }
    tracing::info!(%repo, %sha, "tree listing truncated: walking the needed directories");
    Ok((walk(gh, repo, sha, wanted).await?, true))
}

/// Walk from the root tree, listing only the wanted directories.
pub async fn walk(
    gh: &Installation,
    repo: &RepoName,
    sha: &str,
    wanted: &Wanted,
) -> Result<Vec<TreeEntry>, GhError> {
    let mut out = Vec::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::from([(String::new(), sha.to_string())]);
    let mut requests = 0;
    while let Some((dir, tree_sha)) = queue.pop_front() {
        if requests >= MAX_TREE_REQUESTS {
            tracing::warn!(%repo, "tree walk stopped at {MAX_TREE_REQUESTS} requests");
            break;
        }
        requests += 1;
        let level = gh.tree_listing(repo, &tree_sha, false).await?;
        for mut e in level.entries {
            e.path = if dir.is_empty() {
                e.path
            } else {
                format!("{dir}/{}", e.path)
            };
            if e.kind == "tree" && wanted.descend(&e.path) {
                queue.push_back((e.path.clone(), e.sha.clone()));
            }
            out.push(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descends_only_towards_wanted_directories() {
        let w = Wanted {
            dirs: ["packer/aws".to_string(), ".github".to_string()].into(),
            all: false,
        };
        assert!(w.descend("packer"));
        assert!(w.descend("packer/aws"));
        assert!(w.descend(".github"));
        assert!(!w.descend("pack"));
        assert!(!w.descend("packer/gcp"));
        assert!(!w.descend("docs"));
    }
}
