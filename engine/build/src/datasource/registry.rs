//! The `kiln-registry-version` and `kiln-registry-artifact` data sources:
//! kiln-app's image registry read over its REST API, with the arguments of
//! HCP Packer's `hcp-packer-version` (`bucket_name`, `channel_name`) and
//! `hcp-packer-artifact` (`bucket_name`, `version_fingerprint`, `platform`,
//! `region`, optional `component_type`). The registry's base URL is the
//! `registry_url` argument or `KILN_REGISTRY_URL`. A revoked version fails
//! the data source, as HCP's does; one scheduled for revocation is served
//! until its time.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::fetch::{self, FetchError};
use kiln_lang::template::model::ConfigBody;
use kiln_lang::template::Value;

/// Largest registry response read.
const MAX_BODY: u64 = 4 * 1024 * 1024;

/// Why a registry data source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RegistrySourceError {
    /// A required argument is missing or empty.
    #[error("The argument {0:?} is required and must be a non-empty string.")]
    Required(&'static str),
    /// Neither `registry_url` nor `KILN_REGISTRY_URL` is set.
    #[error("No registry URL: set the argument \"registry_url\" or the environment variable KILN_REGISTRY_URL to kiln-app's address (https://HOST).")]
    NoUrl,
    /// The request failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The registry refused (its own message, or the start of the body).
    #[error("Registry request GET {url} returned status {status}: {message}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status received.
        status: u16,
        /// The registry's `error` message.
        message: String,
    },
    /// A 2xx answer that is not JSON.
    #[error("Registry request GET {url}: the response is not JSON")]
    NotJson {
        /// The URL requested.
        url: String,
    },
    /// The version has no image for the platform/region asked for.
    #[error(transparent)]
    NoArtifact(Box<MissingArtifact>),
}

/// A version without the image a `kiln-registry-artifact` asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Version {fingerprint:?} of bucket {bucket:?} has no artifact for platform {platform:?} in region {region:?}{}; it has: {have}.", built_by(.component))]
pub(crate) struct MissingArtifact {
    /// The bucket.
    bucket: String,
    /// The version.
    fingerprint: String,
    /// The platform asked for.
    platform: String,
    /// The region asked for.
    region: String,
    /// The `component_type` asked for, if any.
    component: Option<String>,
    /// What the version has, listed.
    have: String,
}

fn built_by(component: &Option<String>) -> String {
    component
        .as_ref()
        .map(|c| format!(" built by {c:?}"))
        .unwrap_or_default()
}

fn required<'a>(
    config: &'a ConfigBody,
    name: &'static str,
) -> Result<&'a str, RegistrySourceError> {
    config
        .get_str(name)
        .filter(|s| !s.is_empty())
        .ok_or(RegistrySourceError::Required(name))
}

fn base_url(config: &ConfigBody) -> Result<String, RegistrySourceError> {
    config
        .get_str("registry_url")
        .map(String::from)
        .or_else(|| std::env::var("KILN_REGISTRY_URL").ok())
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .ok_or(RegistrySourceError::NoUrl)
}

/// Percent-encode one path segment.
fn seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GET a registry document; errors carry the registry's own message.
fn get(url: &str) -> Result<Json, RegistrySourceError> {
    let accept = [("Accept".to_string(), "application/json".to_string())];
    let response = fetch::get("Registry request", url, &accept, MAX_BODY)?;
    let json: Option<Json> = serde_json::from_str(&response.body).ok();
    if !(200..300).contains(&response.status) {
        let message = json
            .as_ref()
            .and_then(|j| j.get("error"))
            .and_then(Json::as_str)
            .map(String::from)
            .unwrap_or_else(|| response.body.chars().take(200).collect());
        return Err(RegistrySourceError::Status {
            url: url.to_string(),
            status: response.status,
            message,
        });
    }
    json.ok_or_else(|| RegistrySourceError::NotJson {
        url: url.to_string(),
    })
}

fn s(j: &Json, key: &str) -> Value {
    Value::from(
        j.get(key)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
    )
}

/// `kiln-registry-version`: the version a channel serves.
pub(crate) fn version_output(config: &ConfigBody) -> Result<Value, RegistrySourceError> {
    let bucket = required(config, "bucket_name")?;
    let channel = required(config, "channel_name")?;
    let url = format!(
        "{}/api/v1/buckets/{}/channels/{}",
        base_url(config)?,
        seg(bucket),
        seg(channel)
    );
    let j = get(&url)?;
    let mut m = BTreeMap::new();
    m.insert("bucket_name".into(), Value::from(bucket));
    m.insert("channel_name".into(), Value::from(channel));
    m.insert("fingerprint".into(), s(&j, "fingerprint"));
    m.insert("id".into(), s(&j, "fingerprint"));
    m.insert("name".into(), s(&j, "fingerprint"));
    m.insert("author_id".into(), s(&j, "repo"));
    m.insert("created_at".into(), s(&j, "created_at"));
    m.insert("revoke_at".into(), s(&j, "revoke_at"));
    m.insert("status".into(), Value::from("ACTIVE"));
    Ok(Value::Map(m))
}

/// `kiln-registry-artifact`: one image of a version.
pub(crate) fn artifact_output(config: &ConfigBody) -> Result<Value, RegistrySourceError> {
    let bucket = required(config, "bucket_name")?;
    let fingerprint = required(config, "version_fingerprint")?;
    let platform = required(config, "platform")?;
    let region = required(config, "region")?;
    let component = config.get_str("component_type").filter(|c| !c.is_empty());
    let url = format!(
        "{}/api/v1/buckets/{}/versions/{}",
        base_url(config)?,
        seg(bucket),
        seg(fingerprint)
    );
    let j = get(&url)?;
    let builds = j
        .get("builds")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let found = builds.iter().find(|b| {
        b.get("platform").and_then(Json::as_str) == Some(platform)
            && b.get("region").and_then(Json::as_str).unwrap_or("") == region
            && component.is_none_or(|c| b.get("component_type").and_then(Json::as_str) == Some(c))
    });
    let Some(b) = found else {
        let have: Vec<String> = builds
            .iter()
            .map(|b| {
                format!(
                    "{}/{} ({})",
                    b.get("platform").and_then(Json::as_str).unwrap_or(""),
                    b.get("region").and_then(Json::as_str).unwrap_or(""),
                    b.get("component_type").and_then(Json::as_str).unwrap_or("")
                )
            })
            .collect();
        return Err(RegistrySourceError::NoArtifact(Box::new(MissingArtifact {
            bucket: bucket.to_string(),
            fingerprint: fingerprint.to_string(),
            platform: platform.to_string(),
            region: region.to_string(),
            component: component.map(String::from),
            have: if have.is_empty() {
                "none".to_string()
            } else {
                have.join(", ")
            },
        })));
    };
    let labels = b
        .get("labels")
        .map(Value::from_json)
        .unwrap_or(Value::Map(BTreeMap::new()));
    let mut m = BTreeMap::new();
    m.insert("bucket_name".into(), Value::from(bucket));
    m.insert("version_fingerprint".into(), Value::from(fingerprint));
    m.insert("version_id".into(), Value::from(fingerprint));
    m.insert("platform".into(), Value::from(platform));
    m.insert("region".into(), Value::from(region));
    m.insert("component_type".into(), s(b, "component_type"));
    m.insert("external_identifier".into(), s(b, "external_id"));
    m.insert("id".into(), s(b, "external_id"));
    m.insert("created_at".into(), s(b, "created_at"));
    m.insert("labels".into(), labels);
    Ok(Value::Map(m))
}
