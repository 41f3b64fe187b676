//! The `docker-import` post-processor: imports the tarball a `docker`
//! build exported (`export_path`) as `repository:tag`, applying `changes`.

use std::sync::Arc;

use async_trait::async_trait;
use bollard::query_parameters::CreateImageOptions;
use futures_util::StreamExt;
use tokio_util::io::ReaderStream;

use crate::docker::builder::artifact::ImageArtifact;
use crate::docker::client::{self, api_error};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, Settings};

pub const BUILDER_ID: &str = "packer.post-processor.docker-import";

#[derive(Debug)]
pub struct DockerImport {
    repository: String,
    tag: Option<String>,
    changes: Vec<String>,
}

impl DockerImport {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("docker-import post-processor", c)?;
        Ok(DockerImport {
            repository: s.required_string("repository")?,
            tag: s.string("tag")?.filter(|t| !t.is_empty()),
            changes: s.string_list("changes")?,
        })
    }
}

#[async_trait]
impl PostProcessor for DockerImport {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let files = input.files();
        let [tarball] = files.as_slice() else {
            return Err(BuildError::Step(format!(
                "docker-import: Unknown artifact type: {}\nCan only import from docker builder artifacts with an export_path (one file; got {}).",
                input.builder_id(),
                files.len()
            )));
        };
        let path = ctx.cwd.join(tarball);
        let name = match &self.tag {
            Some(t) => format!("{}:{t}", self.repository),
            None => self.repository.clone(),
        };
        ctx.ui.message(format!("Importing image: {}", input.id()));
        ctx.ui.message(format!("Repository: {name}"));
        let file = tokio::fs::File::open(&path).await.map_err(|e| {
            BuildError::Step(format!("docker-import: opening {}: {e}", path.display()))
        })?;
        let docker = client::connect().await?;
        let options = CreateImageOptions {
            from_src: Some("-".to_string()),
            // `repo` may carry the tag (Docker parses it; Podman's
            // compatible service ignores a separate `tag`).
            repo: Some(name.clone()),
            changes: self.changes.clone(),
            ..Default::default()
        };
        let body = bollard::body_try_stream(ReaderStream::with_capacity(file, 64 * 1024));
        let mut progress = docker.create_image(Some(options), Some(body), None);
        while let Some(item) = progress.next().await {
            let info = item.map_err(|e| api_error("Error importing container", e))?;
            if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                return Err(BuildError::Step(format!(
                    "Error importing container: {detail}"
                )));
            }
        }
        let id = docker
            .inspect_image(&name)
            .await
            .map_err(|e| api_error(&format!("inspecting the imported image {name}"), e))?
            .id
            .unwrap_or_default();
        ctx.ui.message(format!("Imported ID: {id}"));
        Ok(Processed {
            artifact: Arc::new(ImageArtifact {
                builder_id: BUILDER_ID.to_string(),
                id: name.clone(),
                tags: vec![name],
            }),
            keep_input: false,
            force_keep: false,
        })
    }
}
