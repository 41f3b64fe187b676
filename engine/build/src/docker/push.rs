//! The `docker-push` post-processor: pushes the `repository:tag` a
//! docker-tag or docker-import post-processor produced to its registry,
//! with optional registry credentials (`login*`).

use std::sync::Arc;

use async_trait::async_trait;
use bollard::query_parameters::PushImageOptions;
use futures_util::StreamExt;

use crate::docker::builder::artifact::ImageArtifact;
use crate::docker::builder::config::Login;
use crate::docker::builder::{credentials, split_reference};
use crate::docker::client::{self, api_error};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, Settings};

/// Packer's docker-push returns an import artifact.
pub const BUILDER_ID: &str = "packer.post-processor.docker-import";

const PUSHABLE: &[&str] = &[
    "packer.post-processor.docker-import",
    "packer.post-processor.docker-tag",
];

#[derive(Debug)]
pub struct DockerPush {
    login: Option<Login>,
}

impl DockerPush {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("docker-push post-processor", c)?;
        let login = if s.bool("login")?.unwrap_or(false) {
            Some(Login {
                server: s.string("login_server")?,
                username: s.string("login_username")?,
                password: s.string("login_password")?,
            })
        } else {
            None
        };
        Ok(DockerPush { login })
    }
}

#[async_trait]
impl PostProcessor for DockerPush {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        if !PUSHABLE.contains(&input.builder_id()) {
            return Err(BuildError::Step(format!(
                "docker-push: Unknown artifact type: {}\nCan only import from docker-import and docker-tag artifacts.",
                input.builder_id()
            )));
        }
        if let Some(password) = self.login.as_ref().and_then(|l| l.password.clone()) {
            ctx.ui.add_secret(password);
        }
        let docker = client::connect().await?;
        let name = input.id();
        let (repo, tag) = split_reference(&name);
        if self.login.is_some() {
            ctx.ui.message("Logging in...");
        }
        ctx.ui.message(format!("Pushing: {name}"));
        let options = PushImageOptions {
            tag: tag.map(str::to_string),
            ..Default::default()
        };
        let mut progress = docker.push_image(
            repo,
            Some(options),
            Some(self.login.as_ref().map(credentials).unwrap_or_default()),
        );
        while let Some(item) = progress.next().await {
            let info = item.map_err(|e| api_error(&format!("Error pushing {name}"), e))?;
            if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                return Err(BuildError::Step(format!("Error pushing {name}: {detail}")));
            }
            if let Some(status) = info.status.filter(|s| !s.is_empty()) {
                tracing::debug!(%status, "push");
            }
        }
        Ok(Processed {
            artifact: Arc::new(ImageArtifact {
                builder_id: BUILDER_ID.to_string(),
                id: name.clone(),
                tags: vec![name],
            }),
            keep_input: true,
            force_keep: false,
        })
    }
}
