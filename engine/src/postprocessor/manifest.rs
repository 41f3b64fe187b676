//! The `manifest` post-processor: appends a record of each build to a JSON
//! file in Packer's format (`{"builds": [...], "last_run_uuid": …}`), the
//! file CI pipelines read AMI ids and image ids from.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{PostProcessor, Processed};
use crate::artifact::Artifact;
use crate::provisioner::ProvisionContext;
use crate::run::{BuildError, Settings};
use crate::template::model::Component;

/// Packer's manifest file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub builds: Vec<ManifestEntry>,
    pub last_run_uuid: String,
}

/// One build in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub builder_type: String,
    pub build_time: i64,
    pub files: Vec<ManifestFileEntry>,
    pub artifact_id: String,
    pub packer_run_uuid: String,
    #[serde(default)]
    pub custom_data: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFileEntry {
    pub name: String,
    pub size: u64,
}

/// Parallel builds append to the same manifest: one writer at a time.
static WRITE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug)]
pub struct Manifest {
    output: PathBuf,
    strip_path: bool,
    strip_time: bool,
    custom_data: std::collections::BTreeMap<String, String>,
}

impl Manifest {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::new("manifest post-processor", &c.config);
        Ok(Manifest {
            output: PathBuf::from(
                s.string("output")?
                    .unwrap_or_else(|| "packer-manifest.json".to_string()),
            ),
            strip_path: s.bool("strip_path")?.unwrap_or(false),
            strip_time: s.bool("strip_time")?.unwrap_or(false),
            custom_data: s.string_map("custom_data")?,
        })
    }
}

#[async_trait]
impl PostProcessor for Manifest {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let path = ctx.cwd.join(&self.output);
        ctx.ui
            .say(format!("Writing manifest {}", self.output.display()));
        let mut files = Vec::new();
        for f in input.files() {
            let size = tokio::fs::metadata(ctx.cwd.join(&f))
                .await
                .map(|m| m.len())
                .unwrap_or(0);
            let name = if self.strip_path {
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                f.display().to_string()
            };
            files.push(ManifestFileEntry { name, size });
        }
        let build_time = if self.strip_time {
            0
        } else {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        };
        let entry = ManifestEntry {
            name: ctx.build_name.to_string(),
            builder_type: ctx.builder_type.to_string(),
            build_time,
            files,
            artifact_id: input.id(),
            packer_run_uuid: ctx.run_uuid.to_string(),
            custom_data: self.custom_data.clone(),
        };
        let _guard = WRITE_LOCK.lock().await;
        let mut manifest = match tokio::fs::read(&path).await {
            Ok(bytes) => serde_json::from_slice::<ManifestFile>(&bytes).map_err(|e| {
                BuildError::Step(format!(
                    "existing manifest {} is not a Packer manifest: {e}",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ManifestFile::default(),
            Err(e) => return Err(BuildError::Step(format!("reading {}: {e}", path.display()))),
        };
        manifest.builds.push(entry);
        manifest.last_run_uuid = ctx.run_uuid.to_string();
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| BuildError::Step(format!("encoding manifest: {e}")))?;
        crate::run::write_atomic(&path, &json)
            .await
            .map_err(|e| BuildError::Step(format!("writing {}: {e}", path.display())))?;
        Ok(Processed {
            artifact: input,
            keep_input: true,
        })
    }
}
