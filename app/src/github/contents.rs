//! Repository contents by SHA: git trees (recursive or one level, with
//! GitHub's `truncated` flag) and blobs.

use serde::Deserialize;
use serde_json::Value;

use super::client::decode;
use super::{GhError, Installation};
use crate::ids::RepoName;

/// An entry of a git tree.
#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// A git tree listing.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub entries: Vec<TreeEntry>,
    /// GitHub cut the recursive listing short.
    pub truncated: bool,
}

impl Installation {
    /// `GET /repos/{repo}/git/trees/{sha}?recursive=1`: every entry.
    pub async fn tree(&self, repo: &RepoName, sha: &str) -> Result<Vec<TreeEntry>, GhError> {
        Ok(self.tree_listing(repo, sha, true).await?.entries)
    }

    /// `GET /repos/{repo}/git/trees/{sha}` (`?recursive=1` when asked),
    /// with GitHub's `truncated` flag.
    pub async fn tree_listing(
        &self,
        repo: &RepoName,
        sha: &str,
        recursive: bool,
    ) -> Result<Tree, GhError> {
        let path = format!("/repos/{repo}/git/trees/{sha}");
        let v = if recursive {
            self.get_json(&path, Some(&[("recursive", "1")])).await?
        } else {
            self.get_json(&path, None::<&()>).await?
        };
        let truncated = v.get("truncated").and_then(Value::as_bool).unwrap_or(false);
        let tree = v.get("tree").cloned().unwrap_or(Value::Array(vec![]));
        Ok(Tree {
            entries: decode(&path, tree)?,
            truncated,
        })
    }

    /// `GET /repos/{repo}/git/blobs/{sha}`, decoded.
    pub async fn blob(&self, repo: &RepoName, sha: &str) -> Result<Vec<u8>, GhError> {
        use base64::Engine;
        let path = format!("/repos/{repo}/git/blobs/{sha}");
        let v = self.get_json(&path, None::<&()>).await?;
        let content = v.get("content").and_then(Value::as_str).unwrap_or_default();
        let enc = v
            .get("encoding")
            .and_then(Value::as_str)
            .unwrap_or("base64");
        if enc == "utf-8" {
            return Ok(content.as_bytes().to_vec());
        }
        let clean: String = content.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(clean)
            .map_err(|e| GhError::Decode {
                path,
                message: format!("blob is not base64: {e}"),
            })
    }
}
