//! The `Builder` seam and the table of built-in builders.

pub mod amazon_ebs;
pub mod docker;
mod file;
mod null;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::artifact::Artifact;
use crate::communicator::{Communicator, GeneratedData};
use crate::run::{BuildError, CancelToken, CleanupStack, Ui};
use crate::template::model::Component;

/// Runs the provisioners of a build when the builder has a machine ready:
/// the builder passes its connection (if any) and its generated values
/// (`build.*`).
#[async_trait]
pub trait ProvisionHook: Send + Sync {
    async fn provision(
        &self,
        communicator: Option<Arc<dyn Communicator>>,
        generated: GeneratedData,
    ) -> Result<(), BuildError>;
}

/// What a builder gets while it runs.
pub struct BuildContext<'a> {
    pub ui: &'a Ui,
    pub cancel: &'a CancelToken,
    /// Push an undo for everything created; the runner unwinds it.
    pub cleanup: &'a mut CleanupStack,
    pub hook: &'a dyn ProvisionHook,
    pub cwd: &'a Path,
    /// `-force`: replace what a previous build left (Packer's
    /// `PackerForce`); what that means is up to the builder.
    pub force: bool,
}

/// A builder creates a machine, lets the provisioners run on it and turns
/// it into an artifact. Object-safe.
#[async_trait]
pub trait Builder: Send + Sync {
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError>;
}

/// Builder types kiln implements today.
pub const AVAILABLE: &[&str] = &["amazon-ebs", "docker", "file", "null"];

/// Construct (and prepare) the builder a component configures.
pub fn create(c: &Component) -> Result<Box<dyn Builder>, BuildError> {
    match c.type_name.as_str() {
        "amazon-ebs" => Ok(Box::new(amazon_ebs::AmazonEbsBuilder::prepare(c)?)),
        "docker" => Ok(Box::new(docker::DockerBuilder::prepare(c)?)),
        "file" => Ok(Box::new(file::FileBuilder::prepare(c)?)),
        "null" => Ok(Box::new(null::NullBuilder::prepare(c)?)),
        other => Err(BuildError::NotAvailable {
            kind: "builder",
            type_name: other.to_string(),
            available: AVAILABLE.join(", "),
        }),
    }
}
