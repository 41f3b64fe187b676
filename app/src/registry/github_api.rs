//! The GitHub calls of the registry: a workflow run's artifacts and an
//! artifact's zip (on `Installation::get_json` / `Installation::download`).

use serde::Deserialize;
use serde_json::Value;

use crate::github::{GhError, Installation};
use crate::ids::RepoName;

/// An artifact of a workflow run (the fields used).
#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub size_in_bytes: i64,
    #[serde(default)]
    pub expired: bool,
}

impl Installation {
    /// `GET /repos/{repo}/actions/runs/{run_id}/artifacts`, every page.
    pub async fn run_artifacts(
        &self,
        repo: &RepoName,
        run_id: i64,
    ) -> Result<Vec<Artifact>, GhError> {
        let mut all = Vec::new();
        for page in 1..=10 {
            let path = format!("/repos/{repo}/actions/runs/{run_id}/artifacts");
            let query = [("per_page", 100u32), ("page", page)];
            let v = self.get_json(&path, Some(&query)).await?;
            let items = v.get("artifacts").cloned().unwrap_or(Value::Array(vec![]));
            let batch: Vec<Artifact> =
                serde_json::from_value(items).map_err(|e| GhError::Decode {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            let n = batch.len();
            all.extend(batch);
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `GET /repos/{repo}/actions/artifacts/{id}/zip` (302 to storage).
    pub async fn artifact_zip(
        &self,
        repo: &RepoName,
        artifact_id: i64,
        max: usize,
    ) -> Result<Vec<u8>, GhError> {
        self.download(
            &format!("/repos/{repo}/actions/artifacts/{artifact_id}/zip"),
            max,
        )
        .await
    }
}
