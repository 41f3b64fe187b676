//! The image registry (HCP Packer's model): buckets, versions by
//! fingerprint, builds per platform/region, channels and revocation, fed
//! by build manifests (`POST /api/v1/manifests` or the manifest artifact
//! of a configured `workflow_run`) and served over a REST API.

pub mod api;
pub mod artifact;
pub mod cache;
pub mod cli;
pub mod config;
pub mod github_api;
pub mod manifest;
pub mod model;
pub mod runs;
pub mod store;
pub mod tokens;
pub mod webhook;

use model::{NewVersion, Recorded};
use store::{Registry, RegistryError};

/// Record every version of one manifest (one transaction).
pub async fn record_all(
    registry: &Registry,
    versions: &[NewVersion],
) -> Result<Vec<Recorded>, RegistryError> {
    registry.record(versions).await
}
