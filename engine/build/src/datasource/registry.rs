//! The `kiln-registry-version` and `kiln-registry-artifact` data sources:
//! kiln-app's image registry read over its REST API, with the arguments of
//! HCP Packer's `hcp-packer-version` (`bucket_name`, `channel_name`) and
//! `hcp-packer-artifact` (`bucket_name`, `version_fingerprint`, `platform`,
//! `region`, optional `component_type`). The registry's base URL is the
//! `registry_url` argument or `KILN_REGISTRY_URL`. A revoked version fails
//! the data source, as HCP's does; one scheduled for revocation is served
//! until its time.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value as Json;

use kiln_lang::template::model::ConfigBody;
use kiln_lang::template::Value;

/// Largest registry response read.
const MAX_BODY: u64 = 4 * 1024 * 1024;

fn required<'a>(config: &'a ConfigBody, name: &str) -> Result<&'a str, String> {
    config
        .get_str(name)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("The argument {name:?} is required and must be a non-empty string."))
}

fn base_url(config: &ConfigBody) -> Result<String, String> {
    config
        .get_str("registry_url")
        .map(String::from)
        .or_else(|| std::env::var("KILN_REGISTRY_URL").ok())
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .ok_or_else(|| {
            "No registry URL: set the argument \"registry_url\" or the environment variable KILN_REGISTRY_URL to kiln-app's address (https://HOST)."
                .to_string()
        })
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
fn get(url: &str) -> Result<Json, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| format!("Registry request GET {url} failed: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| format!("Registry request GET {url}: cannot read the response: {e}"))?;
    let json: Option<Json> = serde_json::from_str(&body).ok();
    if !(200..300).contains(&status) {
        let msg = json
            .as_ref()
            .and_then(|j| j.get("error"))
            .and_then(Json::as_str)
            .map(String::from)
            .unwrap_or_else(|| body.chars().take(200).collect());
        return Err(format!(
            "Registry request GET {url} returned status {status}: {msg}"
        ));
    }
    json.ok_or_else(|| format!("Registry request GET {url}: the response is not JSON"))
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
pub fn version_output(config: &ConfigBody) -> Result<Value, String> {
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
pub fn artifact_output(config: &ConfigBody) -> Result<Value, String> {
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
        return Err(format!(
            "Version {fingerprint:?} of bucket {bucket:?} has no artifact for platform {platform:?} in region {region:?}{}; it has: {}.",
            component.map(|c| format!(" built by {c:?}")).unwrap_or_default(),
            if have.is_empty() { "none".to_string() } else { have.join(", ") }
        ));
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
