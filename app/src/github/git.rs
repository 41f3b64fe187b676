//! Git Data for bump pull requests: branch refs (read, create, force,
//! delete), commits, blobs and trees.

use serde_json::Value;

use super::{GhError, Installation};
use crate::ids::RepoName;

/// `heads/BRANCH` as one path segment (`/` escaped, as octokit's URL
/// templates send the `{ref}` parameter).
fn head_ref(branch: &str) -> String {
    format!("heads%2F{}", branch.replace('%', "%25").replace('/', "%2F"))
}

/// The SHA at `pointer` of a response to `path`.
fn sha_of(path: &str, v: &Value, pointer: &str) -> Result<String, GhError> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| GhError::Decode {
            path: path.to_string(),
            message: format!("no {pointer} in the response"),
        })
}

impl Installation {
    /// `GET /repos/{repo}/git/ref/heads/{branch}`: the commit SHA a
    /// branch points at, `None` when there is no such branch.
    pub async fn branch_head(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<Option<String>, GhError> {
        let path = format!("/repos/{repo}/git/ref/{}", head_ref(branch));
        match self.get_json(&path, None::<&()>).await {
            Ok(v) => Ok(Some(sha_of(&path, &v, "/object/sha")?)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /repos/{repo}/git/commits/{sha}`.
    pub async fn git_commit(&self, repo: &RepoName, sha: &str) -> Result<Value, GhError> {
        self.get_json(&format!("/repos/{repo}/git/commits/{sha}"), None::<&()>)
            .await
    }

    /// `POST /repos/{repo}/git/blobs` (UTF-8 content); returns its SHA.
    pub async fn create_blob(&self, repo: &RepoName, content: &str) -> Result<String, GhError> {
        let path = format!("/repos/{repo}/git/blobs");
        let body = serde_json::json!({ "content": content, "encoding": "utf-8" });
        let v = self.send_json("POST", &path, &body).await?;
        sha_of(&path, &v, "/sha")
    }

    /// `POST /repos/{repo}/git/trees` on `base_tree`, `(path, blob sha)`
    /// entries as regular files; returns the tree SHA.
    pub async fn create_tree(
        &self,
        repo: &RepoName,
        base_tree: &str,
        entries: &[(String, String)],
    ) -> Result<String, GhError> {
        let path = format!("/repos/{repo}/git/trees");
        let tree: Vec<Value> = entries
            .iter()
            .map(|(p, sha)| serde_json::json!({"path": p, "mode": "100644", "type": "blob", "sha": sha}))
            .collect();
        let body = serde_json::json!({ "base_tree": base_tree, "tree": tree });
        let v = self.send_json("POST", &path, &body).await?;
        sha_of(&path, &v, "/sha")
    }

    /// `POST /repos/{repo}/git/commits`; returns the commit SHA.
    pub async fn create_commit(&self, repo: &RepoName, body: &Value) -> Result<String, GhError> {
        let path = format!("/repos/{repo}/git/commits");
        let v = self.send_json("POST", &path, body).await?;
        sha_of(&path, &v, "/sha")
    }

    /// `POST /repos/{repo}/git/refs`: a new branch at `sha`. `Ok(false)`
    /// when it already exists (422).
    pub async fn create_branch(
        &self,
        repo: &RepoName,
        branch: &str,
        sha: &str,
    ) -> Result<bool, GhError> {
        let path = format!("/repos/{repo}/git/refs");
        let body = serde_json::json!({ "ref": format!("refs/heads/{branch}"), "sha": sha });
        match self.send_json("POST", &path, &body).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(422) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PATCH /repos/{repo}/git/refs/heads/{branch}` to `sha` (forced).
    pub async fn force_branch(
        &self,
        repo: &RepoName,
        branch: &str,
        sha: &str,
    ) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/git/refs/{}", head_ref(branch));
        let body = serde_json::json!({ "sha": sha, "force": true });
        self.send_json("PATCH", &path, &body).await.map(|_| ())
    }

    /// `DELETE /repos/{repo}/git/refs/heads/{branch}`; already gone
    /// (404/422) is fine.
    pub async fn delete_branch(&self, repo: &RepoName, branch: &str) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/git/refs/{}", head_ref(branch));
        let r = self
            .policy
            .run("DELETE", &path, || async {
                let resp = self.crab._delete(path.as_str(), None::<&()>).await?;
                octocrab::map_github_error(resp).await.map(|_| ())
            })
            .await;
        match r {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.status(), Some(404 | 422)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
