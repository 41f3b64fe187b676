//! The `Provisioner` seam: what a provisioner (and a post-processor) is
//! given while it runs (Packer's `packersdk.Provisioner`).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::communicator::{Communicator, GeneratedData};
use crate::{BuildError, CancelToken, Ui};

/// What a provisioner or post-processor gets while it runs.
#[derive(Clone)]
pub struct ProvisionContext<'a> {
    /// Where the component says what it does (masked).
    pub ui: &'a Ui,
    /// Fires on Ctrl-C, SIGTERM and `-fail-fast`.
    pub cancel: &'a CancelToken,
    /// The working directory relative paths resolve against.
    pub cwd: &'a Path,
    /// The build's source name (`PACKER_BUILD_NAME`).
    pub build_name: &'a str,
    /// The builder type (`PACKER_BUILDER_TYPE`).
    pub builder_type: &'a str,
    /// One id per `kiln build` run (the manifest's `packer_run_uuid`).
    pub run_uuid: &'a str,
    /// The connection to the build machine (`None` for
    /// `communicator = "none"` and for post-processors).
    pub communicator: Option<Arc<dyn Communicator>>,
    /// The builder's generated values (`build.*`), including
    /// `PackerRunUUID`.
    pub generated: GeneratedData,
}

/// A provisioner changes the machine a builder prepared. Object-safe.
#[async_trait]
pub trait Provisioner: Send + Sync {
    /// Change the machine (or the local host) as configured.
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError>;
}
