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
use serde::{Deserialize, Serialize};

use super::go_json;
use super::manifest_lock::ManifestLock;
use super::output::{self, AtomicFile};
use super::{PostProcessor, Processed};
use crate::artifact::Artifact;
use crate::provisioner::ProvisionContext;
use crate::run::{BuildError, Settings};
use crate::template::model::Component;

/// How long a build waits for another writer of the same manifest.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// Packer's manifest file. Field order is Packer's: the bytes match
/// `json.MarshalIndent` of Packer's structs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub builds: Vec<ManifestEntry>,
    #[serde(default)]
    pub last_run_uuid: String,
}

/// One build in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub builder_type: String,
    /// Left out when zero (`strip_time`), like Go's `omitempty`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub build_time: i64,
    /// `null` when the artifact has no files, as in Packer.
    #[serde(
        default,
        serialize_with = "empty_as_null",
        deserialize_with = "null_as_empty"
    )]
    pub files: Vec<ManifestFileEntry>,
    #[serde(default)]
    pub artifact_id: String,
    #[serde(default)]
    pub packer_run_uuid: String,
    /// `null` when not configured, as in Packer.
    #[serde(default)]
    pub custom_data: Option<BTreeMap<String, String>>,
    /// kiln's addition: the `hcp_packer_registry` settings of the build
    /// that produced this entry. Written only when the build has such a
    /// block, so plain templates give Packer's bytes; readers of Packer's
    /// shape (Go's `encoding/json`, `jq`) ignore an unknown field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiln_registry: Option<ManifestRegistry>,
}

/// The registry settings a build records in the manifest (from its
/// `hcp_packer_registry` block): what kiln-app's intake records the
/// build's images as. Empty fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRegistry {
    /// `bucket_name`, else `HCP_PACKER_BUCKET_NAME`, else the build
    /// block's `name` (Packer's rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `bucket_labels` (or the deprecated `labels`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bucket_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub build_labels: BTreeMap<String, String>,
    /// kiln's `channels` attribute: the channels to point at the new version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Go writes a nil slice as `null`.
fn empty_as_null<S: serde::Serializer, T: Serialize>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    if v.is_empty() {
        s.serialize_none()
    } else {
        s.collect_seq(v)
    }
}

/// Go reads `null` into a nil slice.
fn null_as_empty<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestFileEntry {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub size: i64,
}

impl ManifestFile {
    /// The manifest's bytes, exactly as Packer writes them.
    pub fn to_packer_json(&self) -> serde_json::Result<Vec<u8>> {
        go_json::to_vec_indent(self)
    }
}

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
        let s = Settings::new("manifest post-processor", &c.config);
        let custom_data = match c.config.get("custom_data") {
            None | Some(crate::template::Value::Null) => None,
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
