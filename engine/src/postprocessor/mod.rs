//! The `PostProcessor` seam and the table of built-in post-processors.

mod artifacts;
mod artifice;
mod checksum;
mod compress;
mod docker_import;
mod docker_push;
mod docker_save;
mod docker_tag;
mod go_json;
mod manifest;
mod manifest_lock;
mod output;
mod shell_local;

use std::sync::Arc;

use async_trait::async_trait;

use crate::artifact::Artifact;
use crate::provisioner::ProvisionContext;
use crate::run::BuildError;
use crate::template::model::Component;

pub use artifacts::{CompressArtifact, FileListArtifact};
pub use checksum::ChecksumType;
pub use manifest::{ManifestEntry, ManifestFile, ManifestFileEntry, ManifestRegistry};

/// The result of one post-processor in a chain.
#[derive(Debug)]
pub struct Processed {
    pub artifact: Arc<dyn Artifact>,
    /// Whether the input artifact is kept by default (Packer lets the
    /// template override this with `keep_input_artifact`).
    pub keep_input: bool,
    /// Keep the input even when the template says
    /// `keep_input_artifact = false` (Packer's `forceOverride`: checksum,
    /// manifest and shell-local would be useless without their input).
    pub force_keep: bool,
}

/// A post-processor turns an artifact into another (or records it).
/// Object-safe.
#[async_trait]
pub trait PostProcessor: Send + Sync {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError>;
}

/// Post-processor types kiln implements today.
pub const AVAILABLE: &[&str] = &[
    "manifest",
    "shell-local",
    "checksum",
    "compress",
    "artifice",
    "docker-import",
    "docker-push",
    "docker-save",
    "docker-tag",
];

/// [`create`] for a post-processor of a build with `hcp_packer_registry`
/// settings: the manifest post-processor records them in each entry.
pub fn create_in_build(
    c: &Component,
    registry: Option<&ManifestRegistry>,
) -> Result<Box<dyn PostProcessor>, BuildError> {
    match c.type_name.as_str() {
        "manifest" => Ok(Box::new(
            manifest::Manifest::prepare(c)?.with_registry(registry.cloned()),
        )),
        _ => create(c),
    }
}

/// Construct (and prepare) the post-processor a component configures.
pub fn create(c: &Component) -> Result<Box<dyn PostProcessor>, BuildError> {
    match c.type_name.as_str() {
        "docker-import" => Ok(Box::new(docker_import::DockerImport::prepare(c)?)),
        "docker-push" => Ok(Box::new(docker_push::DockerPush::prepare(c)?)),
        "docker-save" => Ok(Box::new(docker_save::DockerSave::prepare(c)?)),
        "docker-tag" => Ok(Box::new(docker_tag::DockerTag::prepare(c)?)),
        "manifest" => Ok(Box::new(manifest::Manifest::prepare(c)?)),
        "shell-local" => Ok(Box::new(shell_local::ShellLocalPostProcessor::prepare(c)?)),
        "checksum" => Ok(Box::new(checksum::Checksum::prepare(c)?)),
        "compress" => Ok(Box::new(compress::Compress::prepare(c)?)),
        "artifice" => Ok(Box::new(artifice::Artifice::prepare(c)?)),
        other => Err(BuildError::NotAvailable {
            kind: "post-processor",
            type_name: other.to_string(),
            available: AVAILABLE.join(", "),
        }),
    }
}
