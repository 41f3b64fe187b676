//! Artifacts of the `docker` builder and the docker post-processors.

use std::path::PathBuf;

use kiln_sdk::artifact::Artifact;

/// The `docker` builder's id.
pub const BUILDER_ID: &str = "packer.docker";

/// An image in the daemon (Packer's `ImportArtifact`): a committed
/// container, an imported tarball or a tagged image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageArtifact {
    /// The producing component's id (`packer.docker`, `packer.post-processor.docker-import`, …).
    pub builder_id: String,
    /// The image id (`sha256:…`) or `repository:tag`.
    pub id: String,
    /// `repository:tag` names given to the image so far.
    pub tags: Vec<String>,
}

impl Artifact for ImageArtifact {
    fn builder_id(&self) -> &str {
        &self.builder_id
    }
    fn id(&self) -> String {
        self.id.clone()
    }
    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    fn description(&self) -> String {
        if self.tags.is_empty() {
            format!("Imported Docker image: {}", self.id)
        } else {
            format!(
                "Imported Docker image: {} with tags {}",
                self.id,
                self.tags.join(" ")
            )
        }
    }
}

/// A container exported to a tarball (`export_path`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportArtifact {
    /// The tarball written.
    pub path: PathBuf,
}

impl Artifact for ExportArtifact {
    fn builder_id(&self) -> &str {
        BUILDER_ID
    }
    fn id(&self) -> String {
        self.path.display().to_string()
    }
    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }
    fn description(&self) -> String {
        format!("Exported Docker file: {}", self.path.display())
    }
}

/// `discard = true`: nothing was kept.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscardedArtifact {
    /// The id of the container that was removed.
    pub container: String,
}

impl Artifact for DiscardedArtifact {
    fn builder_id(&self) -> &str {
        BUILDER_ID
    }
    fn id(&self) -> String {
        self.container.clone()
    }
    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    fn description(&self) -> String {
        format!("Discarded Docker container: {}", self.container)
    }
}
