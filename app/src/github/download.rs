//! Binary downloads (artifact zips): the API's 302 to blob storage is
//! followed without the installation token, the body is read up to a
//! size cap, and 5xx answers and cut-off transfers are retried.

use http_body_util::BodyExt;
use serde_json::Value;

use super::{GhError, Installation};

type Response =
    http::Response<http_body_util::combinators::BoxBody<axum::body::Bytes, octocrab::Error>>;

impl Installation {
    /// `GET` a binary body (an artifact zip), at most `max` bytes. The API
    /// answers 302 to blob storage: the redirect is followed without the
    /// installation token. 5xx answers and transfers cut off mid-body are
    /// retried with the policy's backoff.
    pub(crate) async fn download(&self, path: &str, max: usize) -> Result<Vec<u8>, GhError> {
        let mut attempt = 0u32;
        loop {
            let err = match self.download_once(path, max).await {
                Ok(bytes) => return Ok(bytes),
                Err(e) => e,
            };
            let retryable = match &err {
                GhError::Status { status, .. } => *status >= 500,
                GhError::Transport { .. } => true,
                _ => false,
            };
            if !retryable || attempt >= self.policy.retries {
                return Err(err);
            }
            tracing::warn!(%path, attempt, error = %err, "GitHub download: retrying");
            tokio::time::sleep(self.policy.backoff(attempt)).await;
            attempt += 1;
        }
    }

    async fn download_once(&self, path: &str, max: usize) -> Result<Vec<u8>, GhError> {
        let resp = self.get_following_redirect(path).await?;
        let status = resp.status();
        let too_big = || GhError::Decode {
            path: path.to_string(),
            message: format!("download larger than {max} bytes"),
        };
        let declared = resp
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if status.is_success() && declared.is_some_and(|n| n > max as u64) {
            return Err(too_big());
        }
        let buf = read_capped(resp, path, max).await?.ok_or_else(too_big)?;
        if status.is_success() {
            return Ok(buf);
        }
        Err(status_error(path, status, &buf))
    }

    /// `GET path`; a redirect is followed with the unauthenticated client.
    async fn get_following_redirect(&self, path: &str) -> Result<Response, GhError> {
        let resp = self
            .crab
            ._get(path)
            .await
            .map_err(|e| transport(path, &e))?;
        if !resp.status().is_redirection() {
            return Ok(resp);
        }
        let location = resp
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| GhError::Decode {
                path: path.to_string(),
                message: format!("{} without a Location header", resp.status()),
            })?;
        self.storage
            ._get(location.as_str())
            .await
            .map_err(|e| transport(path, &e))
    }
}

fn transport(path: &str, e: &dyn std::fmt::Display) -> GhError {
    GhError::Transport {
        method: "GET".into(),
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// The body, or `None` once it grows past `max` bytes.
async fn read_capped(resp: Response, path: &str, max: usize) -> Result<Option<Vec<u8>>, GhError> {
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| transport(path, &e))?;
        if let Some(chunk) = frame.data_ref() {
            if buf.len() + chunk.len() > max {
                return Ok(None);
            }
            buf.extend_from_slice(chunk);
        }
    }
    Ok(Some(buf))
}

/// A failed download's error: GitHub's `message`, or the body's start.
fn status_error(path: &str, status: http::StatusCode, buf: &[u8]) -> GhError {
    let text = String::from_utf8_lossy(buf);
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| text.chars().take(200).collect());
    GhError::Status {
        method: "GET".into(),
        path: path.to_string(),
        status: status.as_u16(),
        message,
    }
}
