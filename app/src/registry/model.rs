//! What the registry holds, as the REST API returns it: buckets, versions
//! (one per fingerprint), their builds (one per platform/region image) and
//! channels. Times are RFC 3339 in JSON.

use std::collections::BTreeMap;

use serde::Serialize;

/// One image of a version: where it was built and its external id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Build {
    /// `TYPE.NAME` of the Packer build (`amazon-ebs.ubuntu`).
    pub component_type: String,
    pub build_name: String,
    /// `aws`, `azure`, `gce`, `docker`, or the builder type for others.
    pub platform: String,
    pub region: Option<String>,
    pub external_id: String,
    pub labels: BTreeMap<String, String>,
    pub created_at: String,
}

/// The version an image was built from (its source image is one of the
/// registry's builds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parent {
    pub bucket_name: String,
    pub fingerprint: String,
}

/// A version: what one commit built into a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub bucket_name: String,
    pub fingerprint: String,
    pub git_sha: String,
    pub repo: String,
    pub run_id: Option<i64>,
    pub labels: BTreeMap<String, String>,
    pub source_image: Option<String>,
    pub parent: Option<Parent>,
    pub created_at: String,
    /// True once `revoke_at` has passed.
    pub revoked: bool,
    pub revoke_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub builds: Vec<Build>,
    /// `region → external id` of the builds that have a region (the
    /// shape Terraform reads most often).
    pub images: BTreeMap<String, String>,
}

/// A channel's answer: the channel and the version it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelVersion {
    pub channel_name: String,
    pub updated_at: String,
    pub updated_by: String,
    #[serde(flatten)]
    pub version: Version,
}

/// A bucket with its channels (`name → fingerprint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub name: String,
    pub repo: String,
    pub created_at: String,
    pub updated_at: String,
    pub version_count: i64,
    pub latest_fingerprint: Option<String>,
    pub channels: BTreeMap<String, String>,
}

/// A build to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBuild {
    pub component_type: String,
    pub build_name: String,
    pub platform: String,
    pub region: Option<String>,
    pub external_id: String,
    pub packer_run: String,
    pub labels: BTreeMap<String, String>,
}

/// A version to record (from a manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub bucket: String,
    pub repo: String,
    pub fingerprint: String,
    pub git_sha: String,
    pub run_id: Option<i64>,
    /// Orders versions by commit (the commit's time in ms): a channel
    /// updated by intake only moves to a later commit.
    pub commit_order: i64,
    pub labels: BTreeMap<String, String>,
    pub source_image: Option<String>,
    pub builds: Vec<NewBuild>,
    /// Channels to point at this version.
    pub channels: Vec<String>,
}

/// What recording a version did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub bucket_name: String,
    pub fingerprint: String,
    pub version_created: bool,
    /// Builds inserted or replaced (0 when this manifest was seen).
    pub builds_recorded: u64,
    pub channel_moved: bool,
}

/// The platform of a builder type.
pub fn platform_of(builder_type: &str) -> String {
    let p = match builder_type {
        t if t.starts_with("amazon-") => "aws",
        t if t.starts_with("azure-") => "azure",
        t if t.starts_with("googlecompute") => "gce",
        t if t.starts_with("docker") => "docker",
        t => t,
    };
    p.to_string()
}

/// Unix milliseconds as RFC 3339 (UTC, seconds).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// RFC 3339 → Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.timestamp_millis())
}
