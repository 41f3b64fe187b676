//! The `shell-local` post-processor: a local script that sees the artifact
//! (`PACKER_BUILD_NAME`, `PACKER_BUILDER_TYPE`, `PACKER_ARTIFACT_ID`…).

use std::sync::Arc;

use async_trait::async_trait;

use crate::provisioner::LocalScript;
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::BuildError;

#[derive(Debug)]
pub struct ShellLocalPostProcessor(LocalScript);

impl ShellLocalPostProcessor {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        LocalScript::prepare("shell-local post-processor", c).map(ShellLocalPostProcessor)
    }
}

#[async_trait]
impl PostProcessor for ShellLocalPostProcessor {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let env = [("PACKER_ARTIFACT_ID".to_string(), input.id())];
        self.0.run(ctx, &env).await?;
        Ok(Processed {
            artifact: input,
            keep_input: true,
            force_keep: true,
        })
    }
}
