//! The `manifest` post-processor: appends a record of each build to a JSON
//! file in Packer's format (`{"builds": [...], "last_run_uuid": …}`), the
//! file CI pipelines read AMI ids and image ids from. The file is read,
//! extended and replaced under a lock (`OUTPUT.lock`), and replaced
//! atomically: a failed write (a full disk) leaves the old manifest whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use super::manifest_lock::ManifestLock;
use super::output::{self, AtomicFile};
use kiln_lang::manifest::{ManifestEntry, ManifestFile, ManifestFileEntry, ManifestRegistry};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, Settings};

/// How long a build waits for another writer of the same manifest.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct Manifest {
    output: String,
    strip_path: bool,
    strip_time: bool,
    custom_data: Option<BTreeMap<String, String>>,
    registry: Option<ManifestRegistry>,
}

impl Manifest {
    /// Record the `hcp_packer_registry` settings of the build this
    /// post-processor runs in.
    pub fn with_registry(mut self, registry: Option<ManifestRegistry>) -> Self {
        self.registry = registry;
        self
    }

    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("manifest post-processor", c)?;
        let custom_data = match c.config.get("custom_data") {
            None | Some(kiln_lang::template::Value::Null) => None,
            Some(_) => Some(s.string_map("custom_data")?),
        };
        Ok(Manifest {
            output: s
                .string("output")?
                .filter(|o| !o.is_empty())
                .unwrap_or_else(|| "packer-manifest.json".to_string()),
            strip_path: s.bool("strip_path")?.unwrap_or(false),
            strip_time: s.bool("strip_time")?.unwrap_or(false),
            custom_data,
            registry: None,
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
        const C: &str = "manifest post-processor";
        let out_name = output::render(C, "output", &self.output, ctx, &[])?;
        let custom_data = match &self.custom_data {
            None => None,
            Some(m) => {
                let mut rendered = BTreeMap::new();
                for (k, v) in m {
                    rendered.insert(k.clone(), output::render(C, "custom_data", v, ctx, &[])?);
                }
                Some(rendered)
            }
        };
        let mut files = Vec::new();
        for f in input.files() {
            let size = tokio::fs::metadata(output::resolve(ctx.cwd, &f))
                .await
                .map(|m| m.len() as i64)
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
            custom_data,
            kiln_registry: self.registry.clone(),
        };
        let path = output::resolve(ctx.cwd, Path::new(&out_name));
        let run_uuid = ctx.run_uuid.to_string();
        tokio::task::spawn_blocking(move || append(&path, &out_name, entry, &run_uuid))
            .await
            .map_err(|e| BuildError::Step(format!("manifest task failed: {e}")))??;
        // The manifest never lets its input be deleted (Packer forces it).
        Ok(Processed {
            artifact: input,
            keep_input: true,
            force_keep: true,
        })
    }
}

/// Lock, read, extend and atomically replace the manifest at `path`.
pub fn append(
    path: &Path,
    shown: &str,
    entry: ManifestEntry,
    run_uuid: &str,
) -> Result<(), BuildError> {
    let step = |what: String| BuildError::Step(what);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| step(format!("Unable to create the directory of {shown}: {e}")))?;
    }
    let mut lock_name = path.as_os_str().to_owned();
    lock_name.push(".lock");
    let _lock = ManifestLock::acquire(&PathBuf::from(lock_name), LOCK_TIMEOUT)
        .map_err(|e| step(format!("Unable to lock {shown}: {e}")))?;
    let contents = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(step(format!("Unable to open {shown} for reading: {e}"))),
    };
    let mut manifest = if contents.iter().all(u8::is_ascii_whitespace) {
        ManifestFile::default()
    } else {
        serde_json::from_slice::<ManifestFile>(&contents)
            .map_err(|e| step(format!("Unable to parse content from {shown}: {e}")))?
    };
    manifest.builds.push(entry);
    manifest.last_run_uuid = run_uuid.to_string();
    let json = manifest
        .to_packer_json()
        .map_err(|e| step(format!("Unable to marshal JSON {e}")))?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = AtomicFile::create(path)?;
        f.write_all(&json)?;
        f.commit()
    };
    write().map_err(|e| step(format!("Unable to write {shown}: {e}")))
}
