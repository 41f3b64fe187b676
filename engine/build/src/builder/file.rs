//! The `file` builder: writes `content` (or copies `source`) to `target`.

use std::path::PathBuf;

use async_trait::async_trait;

use kiln_lang::template::model::Component;
use kiln_sdk::artifact::{Artifact, FileArtifact};
use kiln_sdk::builder::{BuildContext, Builder};
use kiln_sdk::{BuildError, Settings};

#[derive(Debug)]
pub struct FileBuilder {
    source: Option<PathBuf>,
    content: Option<String>,
    target: PathBuf,
}

impl FileBuilder {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("file builder", c)?;
        let source = s.string("source")?.map(PathBuf::from);
        let content = s.string("content")?;
        if source.is_some() == content.is_some() {
            return Err(BuildError::config(
                "file builder: exactly one of \"source\" or \"content\" must be set".to_string(),
            ));
        }
        Ok(FileBuilder {
            source,
            content,
            target: PathBuf::from(s.required_string("target")?),
        })
    }
}

#[async_trait]
impl Builder for FileBuilder {
    async fn run(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Artifact>, BuildError> {
        let target = ctx.cwd.join(&self.target);
        // Write beside the target and rename, so a cancelled build never
        // leaves a half-written file; the temporary is removed on unwind.
        // Its name is unique, so builds writing the same target in parallel
        // each replace it whole (the last one wins, as in Packer).
        let tmp = target.with_file_name(format!(
            ".{}.{}.kiln-tmp",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            uuid::Uuid::new_v4().simple()
        ));
        {
            let tmp = tmp.clone();
            ctx.cleanup
                .push(format!("Removing {}", tmp.display()), async move {
                    match tokio::fs::remove_file(&tmp).await {
                        Ok(()) => Ok(()),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                        Err(e) => Err(e.to_string()),
                    }
                });
        }
        let io = |what: &str, e: std::io::Error| BuildError::Step(format!("{what}: {e}"));
        if let Some(content) = &self.content {
            ctx.ui
                .say(format!("Creating file {}", self.target.display()));
            tokio::fs::write(&tmp, content)
                .await
                .map_err(|e| io(&format!("writing {}", tmp.display()), e))?;
        } else if let Some(source) = &self.source {
            let source = ctx.cwd.join(source);
            ctx.ui.say(format!(
                "Copying {} to {}",
                source.display(),
                self.target.display()
            ));
            tokio::fs::copy(&source, &tmp)
                .await
                .map_err(|e| io(&format!("copying {}", source.display()), e))?;
        }
        ctx.hook.provision(None, Default::default()).await?;
        tokio::fs::rename(&tmp, &target)
            .await
            .map_err(|e| io(&format!("moving into {}", target.display()), e))?;
        Ok(Box::new(FileArtifact {
            builder_id: "packer.file".to_string(),
            files: vec![self.target.clone()],
        }))
    }
}
