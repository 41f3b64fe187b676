//! Check runs: create one, list a commit's by name, update one.

use serde_json::Value;

use super::client::PageQuery;
use super::{GhError, Installation};
use crate::ids::RepoName;

impl Installation {
    /// `POST /repos/{repo}/check-runs`; returns the check run ID.
    pub async fn create_check_run(&self, repo: &RepoName, body: &Value) -> Result<i64, GhError> {
        let path = format!("/repos/{repo}/check-runs");
        let v: Value = self
            .policy
            .run("POST", &path, || self.crab.post(&path, Some(body)))
            .await?;
        v.get("id").and_then(Value::as_i64).ok_or(GhError::Decode {
            path,
            message: "check run without id".into(),
        })
    }

    /// `GET /repos/{repo}/commits/{sha}/check-runs?check_name=NAME`:
    /// `(id, external_id, status)` of each.
    pub async fn check_runs_for_ref(
        &self,
        repo: &RepoName,
        sha: &str,
        name: &str,
    ) -> Result<Vec<(i64, String, String)>, GhError> {
        let path = format!("/repos/{repo}/commits/{sha}/check-runs");
        let mut all = Vec::new();
        for page in 1..=10 {
            let q = PageQuery {
                per_page: 100,
                page,
                check_name: Some(name),
            };
            let v = self.get_json(&path, Some(&q)).await?;
            let runs = v
                .get("check_runs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let n = runs.len();
            for r in runs {
                let id = r.get("id").and_then(Value::as_i64).unwrap_or_default();
                let ext = r
                    .get("external_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let status = r
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                all.push((id, ext, status));
            }
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `PATCH /repos/{repo}/check-runs/{id}`.
    pub async fn update_check_run(
        &self,
        repo: &RepoName,
        id: i64,
        body: &Value,
    ) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/check-runs/{id}");
        self.policy
            .run("PATCH", &path, || {
                self.crab.patch::<Value, _, _>(&path, Some(body))
            })
            .await
            .map(|_| ())
    }
}
