//! kiln's retry policy around every GitHub request: exponential backoff
//! on 5xx and transport errors, and on rate limits (403/429 with
//! `Retry-After`, or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`)
//! a wait that honours those headers.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

use super::GhError;

/// Retry policy for one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub retries: u32,
    pub base: Duration,
    /// Longest wait honoured from `Retry-After` / reset headers.
    pub max_wait: Duration,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How one attempt failed, as the retry policy sees it.
enum Failure {
    Status {
        status: u16,
        headers: HeaderMap,
        message: String,
    },
    Transport(String),
    /// Not an HTTP outcome (bad URI, body decoding): never retried.
    Other(String),
}

fn failure(e: octocrab::Error) -> Failure {
    match e {
        octocrab::Error::GitHub { source, .. } => Failure::Status {
            status: source.status_code.as_u16(),
            headers: source.headers.clone().unwrap_or_default(),
            message: source.message.clone(),
        },
        octocrab::Error::Service { .. } | octocrab::Error::Hyper { .. } => {
            Failure::Transport(e.to_string())
        }
        octocrab::Error::Serde { .. } | octocrab::Error::Json { .. } => {
            Failure::Other(format!("unexpected response: {e}"))
        }
        other => Failure::Other(other.to_string()),
    }
}

/// A 403/429 that is a (secondary) rate limit rather than a refusal.
fn is_rate_limited(status: u16, headers: &HeaderMap, message: &str) -> bool {
    (status == 403 || status == 429)
        && (headers.contains_key("retry-after")
            || headers
                .get("x-ratelimit-remaining")
                .is_some_and(|v| v.as_bytes() == b"0")
            || message.to_ascii_lowercase().contains("rate limit"))
}

/// `Retry-After` (seconds) or `x-ratelimit-reset` (epoch seconds) when
/// the remaining quota is 0.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    if let Some(s) = h
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(s));
    }
    let remaining_zero = h
        .get("x-ratelimit-remaining")
        .is_some_and(|v| v.as_bytes() == b"0");
    if remaining_zero {
        if let Some(reset) = h
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            return Some(Duration::from_secs(reset.saturating_sub(unix_now()) + 1));
        }
    }
    None
}

impl RetryPolicy {
    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.min(10));
        exp.min(self.max_wait)
    }

    /// Run `op` until it succeeds, fails for good, or retries run out.
    pub(super) async fn run<T, F, Fut>(
        &self,
        method: &str,
        path: &str,
        mut op: F,
    ) -> Result<T, GhError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, octocrab::Error>>,
    {
        let mut attempt = 0u32;
        loop {
            let err = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => failure(e),
            };
            let wait = self.wait_before_retry(method, path, attempt, err)?;
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// How long to wait before retrying after `attempt` failed, or the
    /// error to give up with.
    fn wait_before_retry(
        &self,
        method: &str,
        path: &str,
        attempt: u32,
        err: Failure,
    ) -> Result<Duration, GhError> {
        match err {
            Failure::Other(message) => Err(GhError::Decode {
                path: path.to_string(),
                message,
            }),
            Failure::Transport(message) => {
                if attempt >= self.retries {
                    return Err(GhError::Transport {
                        method: method.to_string(),
                        path: path.to_string(),
                        message,
                    });
                }
                tracing::warn!(%path, attempt, error = %message, "GitHub API: retrying");
                Ok(self.backoff(attempt))
            }
            Failure::Status {
                status,
                headers,
                message,
            } => {
                let rate_limited = is_rate_limited(status, &headers, &message);
                if !(status >= 500 || rate_limited) || attempt >= self.retries {
                    return Err(GhError::Status {
                        method: method.to_string(),
                        path: path.to_string(),
                        status,
                        message,
                    });
                }
                let hinted = retry_after(&headers);
                tracing::warn!(status, %path, attempt, ?hinted, "GitHub API: retrying");
                Ok(match hinted {
                    Some(w) => w.min(self.max_wait),
                    // Secondary limits without a hint: at least a minute per
                    // GitHub's docs, scaled down with the configured base for tests.
                    None if rate_limited => {
                        self.backoff(attempt).max(self.base * 60).min(self.max_wait)
                    }
                    None => self.backoff(attempt),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_the_header_then_the_reset() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", http::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", http::HeaderValue::from_static("0"));
        let reset = (unix_now() + 30).to_string();
        h.insert(
            "x-ratelimit-reset",
            http::HeaderValue::from_str(&reset).expect("header"),
        );
        let w = retry_after(&h).expect("a wait");
        assert!(w >= Duration::from_secs(29) && w <= Duration::from_secs(32));
        assert!(is_rate_limited(403, &h, "Forbidden"));
        assert!(!is_rate_limited(
            403,
            &HeaderMap::new(),
            "Resource not accessible"
        ));
    }
}
