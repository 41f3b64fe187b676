//! Packer's build manifest (`packer-manifest.json`, written by the
//! `manifest` post-processor): the record of each build CI pipelines read
//! AMI ids and image ids from. Serialized byte-for-byte like Packer's
//! `json.MarshalIndent`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::go_json;

/// Packer's manifest file. Field order is Packer's: the bytes match
/// `json.MarshalIndent` of Packer's structs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// One entry per build run, oldest first (entries of earlier runs are kept).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub builds: Vec<ManifestEntry>,
    /// The `packer_run_uuid` of the latest run that wrote the file.
    #[serde(default)]
    pub last_run_uuid: String,
}

/// One build in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The build's name as the builder knows it (`build_name`: the source's
    /// name in HCL2, the builder's `name` in JSON).
    #[serde(default)]
    pub name: String,
    /// The builder type, e.g. `amazon-ebs`.
    #[serde(default)]
    pub builder_type: String,
    /// When the entry was written, in seconds since the Unix epoch. Left
    /// out when zero (`strip_time`), like Go's `omitempty`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub build_time: i64,
    /// `null` when the artifact has no files, as in Packer.
    #[serde(
        default,
        serialize_with = "empty_as_null",
        deserialize_with = "null_as_empty"
    )]
    pub files: Vec<ManifestFileEntry>,
    /// The artifact's id, e.g. `us-east-1:ami-0abc…` (shape depends on the builder).
    #[serde(default)]
    pub artifact_id: String,
    /// The run that produced this entry.
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
    /// The `description` of the registry block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `bucket_labels` (or the deprecated `labels`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bucket_labels: BTreeMap<String, String>,
    /// `build_labels`.
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

/// One file of an artifact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestFileEntry {
    /// The file's path as the builder reported it.
    #[serde(default)]
    pub name: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: i64,
}

impl ManifestFile {
    /// The manifest's bytes, exactly as Packer writes them.
    pub fn to_packer_json(&self) -> serde_json::Result<Vec<u8>> {
        go_json::to_vec_indent(self)
    }
}
