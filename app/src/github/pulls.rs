//! Pull requests: the files one changes, the open ones at a commit or
//! from a branch, opening and updating one (bump pull requests).

use serde::Deserialize;
use serde_json::Value;

use super::client::PageQuery;
use super::{GhError, Installation};
use crate::ids::RepoName;

/// A file changed by a pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct PrFile {
    pub filename: String,
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
}

impl Installation {
    /// `GET /repos/{repo}/pulls/{n}/files`, every page (GitHub caps at 3000).
    pub async fn pr_files(&self, repo: &RepoName, number: i64) -> Result<Vec<PrFile>, GhError> {
        let path = format!("/repos/{repo}/pulls/{number}/files");
        let mut all = Vec::new();
        for page in 1..=30 {
            let q = PageQuery {
                per_page: 100,
                page,
                check_name: None,
            };
            let files: Vec<octocrab::models::repos::DiffEntry> = self
                .policy
                .run("GET", &path, || self.crab.get(&path, Some(&q)))
                .await?;
            let n = files.len();
            for f in files {
                let status = serde_json::to_value(&f.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                all.push(PrFile {
                    filename: f.filename,
                    status,
                    previous_filename: f.previous_filename,
                });
            }
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// Open pull requests of `repo` whose head is `sha`: `GET
    /// /repos/{repo}/commits/{sha}/pulls`, and when that finds none (a
    /// fork's commit), the open pulls list filtered by head SHA.
    pub async fn pulls_for_commit(&self, repo: &RepoName, sha: &str) -> Result<Vec<i64>, GhError> {
        let head_is = |p: &Value| {
            p.get("state").and_then(Value::as_str) == Some("open")
                && p.get("head")
                    .and_then(|h| h.get("sha"))
                    .and_then(Value::as_str)
                    == Some(sha)
        };
        let number = |p: &Value| p.get("number").and_then(Value::as_i64);
        let path = format!("/repos/{repo}/commits/{sha}/pulls");
        let v = self.get_json(&path, None::<&()>).await?;
        let mut found: Vec<i64> = v
            .as_array()
            .map(|a| a.iter().filter(|p| head_is(p)).filter_map(number).collect())
            .unwrap_or_default();
        if found.is_empty() {
            let path = format!("/repos/{repo}/pulls");
            for page in 1..=10u32 {
                let q = [
                    ("state", "open".to_string()),
                    ("per_page", "100".to_string()),
                    ("page", page.to_string()),
                ];
                let v = self.get_json(&path, Some(&q)).await?;
                let items = v.as_array().cloned().unwrap_or_default();
                found.extend(items.iter().filter(|p| head_is(p)).filter_map(number));
                if items.len() < 100 {
                    break;
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// `GET /repos/{repo}/pulls?state=open&head=OWNER:BRANCH`: the open
    /// pull requests from `branch` of the repository itself.
    pub async fn open_pulls_from(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<Vec<Value>, GhError> {
        let path = format!("/repos/{repo}/pulls");
        let q = [
            ("state", "open".to_string()),
            ("head", format!("{}:{branch}", repo.owner())),
            ("per_page", "100".to_string()),
        ];
        let v = self.get_json(&path, Some(&q)).await?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p.pointer("/head/ref").and_then(Value::as_str) == Some(branch)
                    && p.get("state").and_then(Value::as_str) == Some("open")
            })
            .cloned()
            .collect())
    }

    /// `POST /repos/{repo}/pulls`; `Ok(None)` when GitHub answers 422
    /// (one already exists for the head).
    pub async fn create_pull(&self, repo: &RepoName, body: &Value) -> Result<Option<i64>, GhError> {
        let path = format!("/repos/{repo}/pulls");
        match self.send_json("POST", &path, body).await {
            Ok(v) => Ok(v.get("number").and_then(Value::as_i64)),
            Err(e) if e.status() == Some(422) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PATCH /repos/{repo}/pulls/{n}` (title, body, state).
    pub async fn update_pull(
        &self,
        repo: &RepoName,
        number: i64,
        body: &Value,
    ) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/pulls/{number}");
        self.send_json("PATCH", &path, body).await.map(|_| ())
    }
}
