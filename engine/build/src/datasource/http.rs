//! The `http` data source: an HTTP(S) GET with optional request headers,
//! returning `{url, status_code, body, response_headers}` like Packer's.

use std::collections::BTreeMap;

use super::fetch::{self, FetchError};
use kiln_lang::template::model::ConfigBody;
use kiln_lang::template::Value;

/// Largest response body read.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Why the `http` data source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HttpSourceError {
    /// `url` is missing or not a string.
    #[error("The argument \"url\" is required and must be a string.")]
    NoUrl,
    /// The request itself failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The server answered with a status outside 2xx.
    #[error("HTTP GET {url} returned status {status}.")]
    Status {
        /// The URL requested.
        url: String,
        /// The status received.
        status: u16,
    },
}

/// Fetch `url` and build the data source's output.
pub(crate) fn http_output(config: &ConfigBody) -> Result<Value, HttpSourceError> {
    let url = config.get_str("url").ok_or(HttpSourceError::NoUrl)?;
    let headers: Vec<(String, String)> = match config.get("request_headers") {
        Some(Value::Map(h)) => h
            .iter()
            .map(|(k, v)| (k.clone(), v.to_display_string().unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    };
    let response = fetch::get("HTTP", url, &headers, MAX_BODY)?;
    if !(200..300).contains(&response.status) {
        return Err(HttpSourceError::Status {
            url: url.to_string(),
            status: response.status,
        });
    }
    let headers: BTreeMap<String, Value> = response
        .headers
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    let mut m = BTreeMap::new();
    m.insert("url".to_string(), Value::from(url));
    m.insert(
        "status_code".to_string(),
        Value::Number(f64::from(response.status)),
    );
    m.insert("body".to_string(), Value::from(response.body));
    m.insert("response_headers".to_string(), Value::Map(headers));
    Ok(Value::Map(m))
}
