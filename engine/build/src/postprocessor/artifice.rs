//! The `artifice` post-processor: replaces the artifact with the files
//! it lists (each entry a path or a glob, expanded like Go's
//! `filepath.Glob`, relative to the build's directory).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::artifacts::FileListArtifact;
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, Settings};

#[derive(Debug)]
pub struct Artifice {
    files: Vec<String>,
}

impl Artifice {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("artifice post-processor", c)?;
        let files = s.string_list("files")?;
        if files.is_empty() {
            return Err(BuildError::config(
                "artifice post-processor: No files specified in artifice configuration".to_string(),
            ));
        }
        Ok(Artifice { files })
    }
}

/// Expand one `files` entry; matches keep the form they were written in
/// (relative entries stay relative).
fn expand(cwd: &Path, pattern: &str) -> Result<Vec<PathBuf>, BuildError> {
    let bad = |e: &dyn std::fmt::Display| {
        BuildError::config(format!(
            "artifice post-processor: invalid value in \"files\": {pattern:?}: {e}"
        ))
    };
    let absolute = Path::new(pattern).is_absolute();
    // The build directory is a literal prefix, not part of the pattern.
    let full = if absolute {
        pattern.to_string()
    } else {
        let base = cwd.to_str().ok_or_else(|| bad(&"not valid UTF-8"))?;
        format!("{}/{pattern}", glob::Pattern::escape(base))
    };
    let mut out = Vec::new();
    for entry in glob::glob(&full).map_err(|e| bad(&e))? {
        let p = entry.map_err(|e| bad(&e))?;
        let p = if absolute {
            p
        } else {
            p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p)
        };
        out.push(p);
    }
    Ok(out)
}

#[async_trait]
impl PostProcessor for Artifice {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let old = input.files();
        if !old.is_empty() {
            ctx.ui
                .say(format!("Discarding files from artifact: {}", join(&old)));
        }
        let mut files = Vec::new();
        for pattern in &self.files {
            let found = expand(ctx.cwd, pattern)?;
            if found.is_empty() {
                ctx.ui.error(format!(
                    "Warning: artifice \"files\" entry {pattern:?} matches no file"
                ));
            }
            files.extend(found);
        }
        ctx.ui
            .say(format!("Using these artifact files: {}", join(&files)));
        Ok(Processed {
            artifact: Arc::new(FileListArtifact {
                builder_id: "packer.post-processor.artifice",
                files,
            }),
            keep_input: true,
            force_keep: false,
        })
    }
}

fn join(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
