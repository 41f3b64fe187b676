//! The one HTTP GET data sources make: connect and overall timeouts, a
//! cap on the body read, and typed errors naming the URL.

use std::time::Duration;

/// A response read whole (up to the cap).
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers, names lower-case as received.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 is an error).
    pub body: String,
}

/// Why a GET failed. `what` names the caller in messages (`HTTP`,
/// `Registry request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    /// No connection or no answer.
    #[error("{what} GET {url} failed: {reason}")]
    Request {
        what: &'static str,
        url: String,
        reason: String,
    },
    /// The body could not be read (too large, cut off, not UTF-8).
    #[error("{what} GET {url}: cannot read the response: {reason}")]
    Read {
        what: &'static str,
        url: String,
        reason: String,
    },
}

/// GET `url` with `headers`, reading at most `limit` bytes of body. Any
/// status is a response: callers decide what a non-2xx means.
pub(crate) fn get(
    what: &'static str,
    url: &str,
    headers: &[(String, String)],
    limit: u64,
) -> Result<Fetched, FetchError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let response = req.call().map_err(|e| FetchError::Request {
        what,
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .with_config()
        .limit(limit)
        .read_to_string()
        .map_err(|e| FetchError::Read {
            what,
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    Ok(Fetched {
        status,
        headers,
        body,
    })
}
