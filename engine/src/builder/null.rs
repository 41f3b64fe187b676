//! The `null` builder: no machine; runs the provisioners against an
//! existing host. kiln implements its `communicator = "none"` form here;
//! SSH arrives with the SSH communicator.

use async_trait::async_trait;

use super::{BuildContext, Builder};
use crate::artifact::{Artifact, NullArtifact};
use crate::run::{BuildError, Settings};
use crate::template::model::Component;

#[derive(Debug)]
pub struct NullBuilder;

impl NullBuilder {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::new("null builder", &c.config);
        match s.string("communicator")?.as_deref() {
            Some("none") => Ok(NullBuilder),
            other => Err(BuildError::NotAvailable {
                kind: "communicator",
                type_name: other.unwrap_or("ssh").to_string(),
                available: "none".to_string(),
            }),
        }
    }
}

#[async_trait]
impl Builder for NullBuilder {
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError> {
        ctx.hook.provision(None, Default::default()).await?;
        Ok(Box::new(NullArtifact))
    }
}
