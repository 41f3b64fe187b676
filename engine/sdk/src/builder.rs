//! The `Builder` seam: what a builder is given while it runs and what it
//! must do (Packer's `packersdk.Builder`).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::artifact::Artifact;
use crate::communicator::{Communicator, GeneratedData};
use crate::{BuildError, CancelToken, CleanupStack, Ui};

/// Runs the provisioners of a build when the builder has a machine ready:
/// the builder passes its connection (if any) and its generated values
/// (`build.*`).
#[async_trait]
pub trait ProvisionHook: Send + Sync {
    /// Run the build's provisioners over `communicator` (none for
    /// `communicator = "none"`) with the builder's `build.*` values.
    async fn provision(
        &self,
        communicator: Option<Arc<dyn Communicator>>,
        generated: GeneratedData,
    ) -> Result<(), BuildError>;
}

/// What a builder gets while it runs.
pub struct BuildContext<'a> {
    /// Where the builder says what it does (masked).
    pub ui: &'a Ui,
    /// Fires on Ctrl-C, SIGTERM and `-fail-fast`.
    pub cancel: &'a CancelToken,
    /// Push an undo for everything created; the runner unwinds it.
    pub cleanup: &'a mut CleanupStack,
    /// Runs the provisioners once the machine is ready.
    pub hook: &'a dyn ProvisionHook,
    /// The working directory relative paths resolve against.
    pub cwd: &'a Path,
    /// `-force`: replace what a previous build left (Packer's
    /// `PackerForce`); what that means is up to the builder.
    pub force: bool,
}

/// A builder creates a machine, lets the provisioners run on it and turns
/// it into an artifact. Object-safe.
#[async_trait]
pub trait Builder: Send + Sync {
    /// Create the machine, call `ctx.hook` to provision it and produce
    /// the artifact; push an undo on `ctx.cleanup` for everything created.
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError>;
}
