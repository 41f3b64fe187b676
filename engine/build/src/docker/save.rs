//! The `docker-save` post-processor: writes the image a docker build or
//! post-processor produced to a tarball (`docker save`).

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::tag::image_of;
use crate::docker::client::{self, api_error};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, Settings};

#[derive(Debug)]
pub struct DockerSave {
    path: PathBuf,
}

impl DockerSave {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("docker-save post-processor", c)?;
        Ok(DockerSave {
            path: PathBuf::from(s.required_string("path")?),
        })
    }
}

#[async_trait]
impl PostProcessor for DockerSave {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let image = image_of("docker-save", &*input)?;
        let docker = client::connect().await?;
        let target = ctx.cwd.join(&self.path);
        ctx.ui.message(format!("Saving image: {image}"));
        let io = |e: std::io::Error| {
            BuildError::Step(format!("Error saving to {}: {e}", target.display()))
        };
        // Stream into a temporary beside the target; nothing half-written
        // is left under the final name.
        let tmp = target.with_file_name(format!(
            ".{}.kiln-tmp",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp).await.map_err(io)?;
            let mut stream = docker.export_image(&image);
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| api_error(&format!("Error saving {image}"), e))?;
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.flush().await.map_err(io)?;
            drop(file);
            tokio::fs::rename(&tmp, &target).await.map_err(io)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result?;
        ctx.ui.message(format!("Saved to: {}", self.path.display()));
        Ok(Processed {
            artifact: input,
            keep_input: true,
            force_keep: false,
        })
    }
}
