//! The `null` builder: no machine; connects the communicator (SSH by
//! default, or `none`) to an existing host and runs the provisioners.

use async_trait::async_trait;

use crate::ssh::{self, connect::connect};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::{Artifact, NullArtifact};
use kiln_sdk::builder::{BuildContext, Builder};
use kiln_sdk::communicator::GeneratedData;
use kiln_sdk::{BuildError, Settings};

#[derive(Debug)]
pub struct NullBuilder {
    component: Component,
}

const WHAT: &str = "null builder";

impl NullBuilder {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of(WHAT, c)?;
        match s.string("communicator")?.as_deref() {
            None | Some("") | Some("ssh") => {
                // Fail before the build starts on unusable settings.
                ssh::SshConfig::from_settings(&s, None)?;
            }
            Some("none") => {}
            Some(other) => {
                return Err(BuildError::NotAvailable {
                    kind: "communicator",
                    type_name: other.to_string(),
                    available: "ssh, none".to_string(),
                })
            }
        }
        Ok(NullBuilder {
            component: c.clone(),
        })
    }
}

#[async_trait]
impl Builder for NullBuilder {
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError> {
        let s = Settings::of(WHAT, &self.component)?;
        match connect(WHAT, &s, None, ctx.ui, ctx.cancel).await? {
            None => {
                ctx.hook.provision(None, GeneratedData::new()).await?;
            }
            Some((comm, mut generated)) => {
                generated.insert("ID".to_string(), "Null".to_string());
                ctx.hook.provision(Some(comm), generated).await?;
            }
        }
        Ok(Box::new(NullArtifact))
    }
}
