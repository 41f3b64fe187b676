//! The `PostProcessor` seam: a post-processor turns an artifact into
//! another (Packer's `packersdk.PostProcessor`).

use std::sync::Arc;

use async_trait::async_trait;

use crate::artifact::Artifact;
use crate::provisioner::ProvisionContext;
use crate::BuildError;

/// The result of one post-processor in a chain.
#[derive(Debug)]
pub struct Processed {
    /// The artifact the post-processor produced (or its input, passed on).
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
    /// Process `input` (the builder's or the previous post-processor's
    /// artifact).
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError>;
}
