//! GitHub REST client for the App: JWT → installation tokens (cached and
//! refreshed per installation), retries with exponential backoff on 5xx
//! and rate limits (primary and secondary), honouring `Retry-After` and
//! `x-ratelimit-reset`. Only the endpoints kiln-app uses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum GhError {
    #[error("GitHub API {method} {path}: HTTP {status}: {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("GitHub API {method} {path}: {source}")]
    Transport {
        method: String,
        path: String,
        source: reqwest::Error,
    },
    #[error("GitHub API {path}: unexpected response: {message}")]
    Decode { path: String, message: String },
    #[error("signing the App JWT: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

impl GhError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GhError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth retrying the whole job later (server trouble, rate limits,
    /// network), as opposed to a request GitHub will always refuse.
    pub fn is_transient(&self) -> bool {
        match self {
            GhError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 403,
            GhError::Transport { .. } => true,
            _ => false,
        }
    }
}

#[derive(Serialize)]
struct Claims {
    iat: u64,
    exp: u64,
    iss: String,
}

#[derive(Clone)]
struct CachedToken {
    token: String,
    /// Unix seconds.
    expires_at: u64,
}

/// Retry policy for one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub retries: u32,
    pub base: Duration,
    /// Longest wait honoured from `Retry-After` / reset headers.
    pub max_wait: Duration,
}

/// The App: signs JWTs and hands out per-installation clients.
#[derive(Clone)]
pub struct GitHubApp {
    http: reqwest::Client,
    base: String,
    app_id: String,
    key: Arc<jsonwebtoken::EncodingKey>,
    tokens: Arc<Mutex<HashMap<i64, CachedToken>>>,
    policy: RetryPolicy,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Parse GitHub's `expires_at` (`2016-07-11T22:14:10Z`) into Unix seconds.
fn parse_rfc3339_z(s: &str) -> Option<u64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.split(':');
    let (hh, mm) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let ss = t.next()?.split('.').next()?.parse::<i64>().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

impl GitHubApp {
    pub fn new(
        base: &str,
        app_id: &str,
        key_pem: &[u8],
        policy: RetryPolicy,
    ) -> Result<GitHubApp, GhError> {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("kiln-app/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|source| GhError::Transport {
                method: "-".into(),
                path: "-".into(),
                source,
            })?;
        Ok(GitHubApp {
            http,
            base: base.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            key: Arc::new(key),
            tokens: Arc::new(Mutex::new(HashMap::new())),
            policy,
        })
    }

    fn jwt(&self) -> Result<String, GhError> {
        let now = unix_now();
        // Backdated 60 s against clock drift; GitHub allows at most 10 min.
        let claims = Claims {
            iat: now.saturating_sub(60),
            exp: now + 540,
            iss: self.app_id.clone(),
        };
        Ok(jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &self.key,
        )?)
    }

    /// An installation token, from the cache while it has > 5 minutes left.
    pub async fn installation_token(&self, installation_id: i64) -> Result<String, GhError> {
        let mut cache = self.tokens.lock().await;
        if let Some(t) = cache.get(&installation_id) {
            if t.expires_at > unix_now() + 300 {
                return Ok(t.token.clone());
            }
        }
        let jwt = self.jwt()?;
        let path = format!("/app/installations/{installation_id}/access_tokens");
        let v = self
            .send(Method::POST, &path, &jwt, Some(&serde_json::json!({})))
            .await?;
        let token = v
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| GhError::Decode {
                path: path.clone(),
                message: "no token".into(),
            })?
            .to_string();
        let expires_at = v
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339_z)
            .unwrap_or(unix_now() + 3000);
        cache.insert(
            installation_id,
            CachedToken {
                token: token.clone(),
                expires_at,
            },
        );
        Ok(token)
    }

    /// Forget a token (after a 401 with it).
    pub async fn drop_token(&self, installation_id: i64) {
        self.tokens.lock().await.remove(&installation_id);
    }

    /// A client acting as one installation.
    pub async fn installation(&self, installation_id: i64) -> Result<Installation, GhError> {
        let token = self.installation_token(installation_id).await?;
        Ok(Installation {
            app: self.clone(),
            token,
        })
    }

    /// One request with retries. `body` is sent as JSON. Returns the JSON
    /// response (`null` for an empty body).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: &str,
        body: Option<&Value>,
    ) -> Result<Value, GhError> {
        let url = format!("{}{}", self.base, path);
        let mut attempt = 0u32;
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(bearer)
                .header("Accept", "application/vnd.github+json, application/json")
                .header("X-GitHub-Api-Version", "2022-11-28");
            if let Some(b) = body {
                req = req.json(b);
            }
            let res = req.send().await;
            let wait = match res {
                Err(source) => {
                    if attempt >= self.policy.retries {
                        return Err(GhError::Transport {
                            method: method.to_string(),
                            path: path.to_string(),
                            source,
                        });
                    }
                    self.backoff(attempt)
                }
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let bytes = resp.bytes().await.unwrap_or_default();
                    if status.is_success() {
                        if bytes.is_empty() {
                            return Ok(Value::Null);
                        }
                        return serde_json::from_slice(&bytes).map_err(|e| GhError::Decode {
                            path: path.to_string(),
                            message: e.to_string(),
                        });
                    }
                    let message = serde_json::from_slice::<Value>(&bytes)
                        .ok()
                        .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
                        .unwrap_or_else(|| {
                            String::from_utf8_lossy(&bytes).chars().take(200).collect()
                        });
                    let err = GhError::Status {
                        method: method.to_string(),
                        path: path.to_string(),
                        status: status.as_u16(),
                        message: message.clone(),
                    };
                    let rate_limited = (status == StatusCode::FORBIDDEN
                        || status == StatusCode::TOO_MANY_REQUESTS)
                        && (headers.contains_key("retry-after")
                            || headers
                                .get("x-ratelimit-remaining")
                                .is_some_and(|v| v.as_bytes() == b"0")
                            || message.to_ascii_lowercase().contains("rate limit"));
                    if !(status.is_server_error() || rate_limited) || attempt >= self.policy.retries
                    {
                        return Err(err);
                    }
                    let hinted = retry_after(&headers);
                    tracing::warn!(%status, %path, attempt, ?hinted, "GitHub API: retrying");
                    match hinted {
                        Some(w) => w.min(self.policy.max_wait),
                        None if rate_limited => {
                            // Secondary limits without a hint: at least a minute per GitHub's docs,
                            // scaled down with the configured base for tests.
                            self.backoff(attempt)
                                .max(self.policy.base * 60)
                                .min(self.policy.max_wait)
                        }
                        None => self.backoff(attempt),
                    }
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.policy.base.saturating_mul(1u32 << attempt.min(10));
        exp.min(self.policy.max_wait)
    }
}

/// `Retry-After` (seconds) or `x-ratelimit-reset` (epoch seconds) when
/// the remaining quota is 0.
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
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

/// Percent-encode a query value.
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A file changed by a pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct PrFile {
    pub filename: String,
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
}

/// An entry of a git tree.
#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: i64,
    #[serde(default)]
    pub body: Option<String>,
}

/// A client acting as one installation.
#[derive(Clone)]
pub struct Installation {
    app: GitHubApp,
    token: String,
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, v: Value) -> Result<T, GhError> {
    serde_json::from_value(v).map_err(|e| GhError::Decode {
        path: path.to_string(),
        message: e.to_string(),
    })
}

impl Installation {
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, GhError> {
        self.app.send(method, path, &self.token, body).await
    }

    /// `GET /repos/{repo}/pulls/{n}/files`, every page (GitHub caps at 3000).
    pub async fn pr_files(&self, repo: &str, number: i64) -> Result<Vec<PrFile>, GhError> {
        let mut all = Vec::new();
        for page in 1..=30 {
            let path = format!("/repos/{repo}/pulls/{number}/files?per_page=100&page={page}");
            let v = self.call(Method::GET, &path, None).await?;
            let files: Vec<PrFile> = decode(&path, v)?;
            let n = files.len();
            all.extend(files);
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `GET /repos/{repo}/git/trees/{sha}?recursive=1`.
    pub async fn tree(&self, repo: &str, sha: &str) -> Result<Vec<TreeEntry>, GhError> {
        let path = format!("/repos/{repo}/git/trees/{sha}?recursive=1");
        let v = self.call(Method::GET, &path, None).await?;
        let tree = v.get("tree").cloned().unwrap_or(Value::Array(vec![]));
        decode(&path, tree)
    }

    /// `GET /repos/{repo}/git/blobs/{sha}`, decoded.
    pub async fn blob(&self, repo: &str, sha: &str) -> Result<Vec<u8>, GhError> {
        use base64::Engine;
        let path = format!("/repos/{repo}/git/blobs/{sha}");
        let v = self.call(Method::GET, &path, None).await?;
        let content = v.get("content").and_then(Value::as_str).unwrap_or_default();
        let enc = v
            .get("encoding")
            .and_then(Value::as_str)
            .unwrap_or("base64");
        if enc == "utf-8" {
            return Ok(content.as_bytes().to_vec());
        }
        let clean: String = content.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(clean)
            .map_err(|e| GhError::Decode {
                path,
                message: format!("blob is not base64: {e}"),
            })
    }

    /// `POST /repos/{repo}/check-runs`; returns the check run ID.
    pub async fn create_check_run(&self, repo: &str, body: &Value) -> Result<i64, GhError> {
        let path = format!("/repos/{repo}/check-runs");
        let v = self.call(Method::POST, &path, Some(body)).await?;
        v.get("id").and_then(Value::as_i64).ok_or(GhError::Decode {
            path,
            message: "check run without id".into(),
        })
    }

    /// `GET /repos/{repo}/commits/{sha}/check-runs?check_name=NAME`:
    /// `(id, external_id, status)` of each.
    pub async fn check_runs_for_ref(
        &self,
        repo: &str,
        sha: &str,
        name: &str,
    ) -> Result<Vec<(i64, String, String)>, GhError> {
        let mut all = Vec::new();
        for page in 1..=10 {
            let path = format!(
                "/repos/{repo}/commits/{sha}/check-runs?check_name={}&per_page=100&page={page}",
                url_escape(name)
            );
            let v = self.call(Method::GET, &path, None).await?;
            let runs = v
                .get("check_runs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let n = runs.len();
            for r in runs {
                let id = r.get("id").and_then(Value::as_i64).unwrap_or_default();
                let ext = r
                    .get("external_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let status = r
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                all.push((id, ext, status));
            }
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `PATCH /repos/{repo}/check-runs/{id}`.
    pub async fn update_check_run(&self, repo: &str, id: i64, body: &Value) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/check-runs/{id}");
        self.call(Method::PATCH, &path, Some(body))
            .await
            .map(|_| ())
    }

    /// `GET /repos/{repo}/issues/{n}/comments`, every page.
    pub async fn comments(&self, repo: &str, number: i64) -> Result<Vec<Comment>, GhError> {
        let mut all = Vec::new();
        for page in 1..=50 {
            let path = format!("/repos/{repo}/issues/{number}/comments?per_page=100&page={page}");
            let v = self.call(Method::GET, &path, None).await?;
            let c: Vec<Comment> = decode(&path, v)?;
            let n = c.len();
            all.extend(c);
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `POST /repos/{repo}/issues/{n}/comments`.
    pub async fn create_comment(
        &self,
        repo: &str,
        number: i64,
        body: &str,
    ) -> Result<i64, GhError> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let v = self
            .call(
                Method::POST,
                &path,
                Some(&serde_json::json!({ "body": body })),
            )
            .await?;
        v.get("id").and_then(Value::as_i64).ok_or(GhError::Decode {
            path,
            message: "comment without id".into(),
        })
    }

    /// `PATCH /repos/{repo}/issues/comments/{id}` (PATCH, as the spec says).
    pub async fn update_comment(&self, repo: &str, id: i64, body: &str) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        self.call(
            Method::PATCH,
            &path,
            Some(&serde_json::json!({ "body": body })),
        )
        .await
        .map(|_| ())
    }

    /// `DELETE /repos/{repo}/issues/comments/{id}`; already gone is fine.
    pub async fn delete_comment(&self, repo: &str, id: i64) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        match self.call(Method::DELETE, &path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Installation {
    /// `GET` a binary body (an artifact zip), following redirects (the
    /// API answers 302 to blob storage; reqwest drops the token when the
    /// host changes), at most `max` bytes. 5xx answers and transfers cut
    /// off mid-body are retried like [`GitHubApp::send`].
    pub(crate) async fn download(&self, path: &str, max: usize) -> Result<Vec<u8>, GhError> {
        let app = &self.app;
        let url = format!("{}{}", app.base, path);
        let mut attempt = 0u32;
        loop {
            let res = app
                .http
                .get(&url)
                .bearer_auth(&self.token)
                .header("X-GitHub-Api-Version", "2022-11-28")
                .send()
                .await;
            let err = match res {
                Ok(mut resp) if resp.status().is_success() => {
                    if resp.content_length().is_some_and(|n| n > max as u64) {
                        return Err(GhError::Decode {
                            path: path.to_string(),
                            message: format!("download larger than {max} bytes"),
                        });
                    }
                    let mut buf = Vec::new();
                    let mut cut = None;
                    loop {
                        match resp.chunk().await {
                            Ok(Some(c)) => {
                                if buf.len() + c.len() > max {
                                    return Err(GhError::Decode {
                                        path: path.to_string(),
                                        message: format!("download larger than {max} bytes"),
                                    });
                                }
                                buf.extend_from_slice(&c);
                            }
                            Ok(None) => break,
                            Err(e) => {
                                cut = Some(e);
                                break;
                            }
                        }
                    }
                    match cut {
                        None => return Ok(buf),
                        Some(source) => GhError::Transport {
                            method: "GET".into(),
                            path: path.to_string(),
                            source,
                        },
                    }
                }
                Ok(resp) => {
                    let status = resp.status();
                    let text = resp.text().await.unwrap_or_default();
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
                Err(source) => GhError::Transport {
                    method: "GET".into(),
                    path: path.to_string(),
                    source,
                },
            };
            let retryable = match &err {
                GhError::Status { status, .. } => *status >= 500,
                _ => true,
            };
            if !retryable || attempt >= app.policy.retries {
                return Err(err);
            }
            tracing::warn!(%path, attempt, error = %err, "GitHub download: retrying");
            tokio::time::sleep(app.backoff(attempt)).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_expires_at() {
        assert_eq!(parse_rfc3339_z("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_z("2016-07-11T22:14:10Z"), Some(1_468_275_250));
    }
}
