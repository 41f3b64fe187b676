//! The `http` data source: an HTTP(S) GET with optional request headers,
//! returning `{url, status_code, body, response_headers}` like Packer's.

use std::collections::BTreeMap;
use std::time::Duration;

use kiln_lang::template::model::ConfigBody;
use kiln_lang::template::Value;

/// Largest response body read.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Fetch `url` and build the data source's output.
pub fn http_output(config: &ConfigBody) -> Result<Value, String> {
    let url = config
        .get_str("url")
        .ok_or_else(|| "The argument \"url\" is required and must be a string.".to_string())?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url);
    if let Some(Value::Map(h)) = config.get("request_headers") {
        for (k, v) in h {
            req = req.header(
                k.as_str(),
                v.to_display_string().unwrap_or_default().as_str(),
            );
        }
    }
    let response = req
        .call()
        .map_err(|e| format!("HTTP GET {url} failed: {e}"))?;
    let status = response.status().as_u16();
    let headers: BTreeMap<String, Value> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                Value::from(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    let body = response
        .into_body()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| format!("HTTP GET {url}: cannot read the response: {e}"))?;
    if !(200..300).contains(&status) {
        return Err(format!("HTTP GET {url} returned status {status}."));
    }
    let mut m = BTreeMap::new();
    m.insert("url".to_string(), Value::from(url));
    m.insert("status_code".to_string(), Value::Number(f64::from(status)));
    m.insert("body".to_string(), Value::from(body));
    m.insert("response_headers".to_string(), Value::Map(headers));
    Ok(Value::Map(m))
}
