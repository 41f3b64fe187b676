//! Issue comments (kiln's sticky comment, bump notes) and labels.

use octocrab::models::CommentId;
use serde_json::Value;

use super::client::id_u64;
use super::{GhError, Installation};
use crate::ids::RepoName;

/// A comment on an issue or pull request.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: i64,
    pub body: Option<String>,
}

impl Installation {
    /// `GET /repos/{repo}/issues/{n}/comments`, every page (octocrab's
    /// typed issues handler).
    pub async fn comments(&self, repo: &RepoName, number: i64) -> Result<Vec<Comment>, GhError> {
        let (owner, name) = (repo.owner(), repo.name());
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let mut all = Vec::new();
        for page in 1..=50u32 {
            let got = self
                .policy
                .run("GET", &path, || async move {
                    self.crab
                        .issues(owner, name)
                        .list_comments(id_u64(number))
                        .per_page(100)
                        .page(page)
                        .send()
                        .await
                })
                .await?;
            let n = got.items.len();
            all.extend(got.items.into_iter().map(|c| Comment {
                id: i64::try_from(c.id.into_inner()).unwrap_or_default(),
                body: c.body,
            }));
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `POST /repos/{repo}/issues/{n}/comments` (octocrab's typed handler).
    pub async fn create_comment(
        &self,
        repo: &RepoName,
        number: i64,
        body: &str,
    ) -> Result<i64, GhError> {
        let (owner, name) = (repo.owner(), repo.name());
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let c = self
            .policy
            .run("POST", &path, || async move {
                self.crab
                    .issues(owner, name)
                    .create_comment(id_u64(number), body)
                    .await
            })
            .await?;
        Ok(i64::try_from(c.id.into_inner()).unwrap_or_default())
    }

    /// `PATCH /repos/{repo}/issues/comments/{id}`: PATCH as the spec says
    /// (octocrab's typed `update_comment` sends POST).
    pub async fn update_comment(
        &self,
        repo: &RepoName,
        id: i64,
        body: &str,
    ) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        let b = serde_json::json!({ "body": body });
        self.policy
            .run("PATCH", &path, || {
                self.crab.patch::<Value, _, _>(&path, Some(&b))
            })
            .await
            .map(|_| ())
    }

    /// `DELETE /repos/{repo}/issues/comments/{id}`; already gone is fine.
    pub async fn delete_comment(&self, repo: &RepoName, id: i64) -> Result<(), GhError> {
        let (owner, name) = (repo.owner(), repo.name());
        let path = format!("/repos/{repo}/issues/comments/{id}");
        let r = self
            .policy
            .run("DELETE", &path, || async move {
                self.crab
                    .issues(owner, name)
                    .delete_comment(CommentId(id_u64(id)))
                    .await
            })
            .await;
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `POST /repos/{repo}/issues/{n}/labels`.
    pub async fn add_labels(
        &self,
        repo: &RepoName,
        number: i64,
        labels: &[String],
    ) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/issues/{number}/labels");
        let body = serde_json::json!({ "labels": labels });
        self.send_json("POST", &path, &body).await.map(|_| ())
    }
}
