//! The `docker-tag` post-processor: tags the image a `docker` build
//! committed (or a previous docker post-processor made) as
//! `repository:tag` for each tag.

use std::sync::Arc;

use async_trait::async_trait;
use bollard::query_parameters::TagImageOptions;

use crate::docker::builder::artifact::ImageArtifact;
use crate::docker::client::{self, api_error};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, Settings};

pub const BUILDER_ID: &str = "packer.post-processor.docker-tag";

/// Artifacts that name an image in the daemon.
pub const IMAGE_BUILDERS: &[&str] = &[
    "packer.docker",
    "packer.post-processor.docker-import",
    "packer.post-processor.docker-tag",
];

#[derive(Debug)]
pub struct DockerTag {
    repository: String,
    tags: Vec<String>,
    /// Packer's `force`: the Engine API's tag always replaces an existing
    /// name, so it changes nothing here; read so that it validates.
    #[allow(dead_code)]
    force: bool,
}

impl DockerTag {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("docker-tag post-processor", c)?;
        let mut tags = s.string_list("tags")?;
        // `tag` is the older spelling; it accepts a string or a list.
        match s.string_list("tag") {
            Ok(more) => tags.extend(more),
            Err(_) => tags.extend(s.string("tag")?),
        }
        tags.retain(|t| !t.is_empty());
        Ok(DockerTag {
            repository: s.required_string("repository")?,
            tags,
            force: s.bool("force")?.unwrap_or(false),
        })
    }
}

/// The image an input artifact names, or a clear error for any other kind.
pub fn image_of(pp: &str, input: &dyn Artifact) -> Result<String, BuildError> {
    // An image artifact has no local files (an `export_path` tarball does).
    if !IMAGE_BUILDERS.contains(&input.builder_id())
        || input.id().is_empty()
        || !input.files().is_empty()
    {
        return Err(BuildError::Step(format!(
            "{pp}: Unknown artifact type: {}\nCan only tag from Docker builder artifacts.",
            input.builder_id()
        )));
    }
    Ok(input.id())
}

#[async_trait]
impl PostProcessor for DockerTag {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let image = image_of("docker-tag", &*input)?;
        let docker = client::connect().await?;
        let tags: Vec<Option<&str>> = if self.tags.is_empty() {
            vec![None]
        } else {
            self.tags.iter().map(|t| Some(t.as_str())).collect()
        };
        let mut names = Vec::new();
        for tag in tags {
            let name = match tag {
                Some(t) => format!("{}:{t}", self.repository),
                None => self.repository.clone(),
            };
            ctx.ui.message(format!("Tagging image: {image}"));
            ctx.ui.message(format!("Repository: {name}"));
            docker
                .tag_image(
                    &image,
                    Some(TagImageOptions {
                        repo: Some(self.repository.clone()),
                        tag: tag.map(str::to_string),
                    }),
                )
                .await
                .map_err(|e| api_error(&format!("Error tagging image {image} as {name}"), e))?;
            names.push(name);
        }
        Ok(Processed {
            artifact: Arc::new(ImageArtifact {
                builder_id: BUILDER_ID.to_string(),
                id: names.last().cloned().unwrap_or_default(),
                tags: names,
            }),
            keep_input: true,
            // Packer's forceOverride: tagging an image that is then deleted
            // would be pointless.
            force_keep: true,
        })
    }
}
