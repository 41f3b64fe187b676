//! GitHub REST client for the App, on `octocrab`: the App's JWT and the
//! installation tokens are octocrab's (one client per installation, its
//! token cached and refreshed five minutes before expiry); every request
//! goes through octocrab — its typed methods where they match the spec,
//! its generic `get`/`post`/`patch` where they don't (e.g. octocrab's
//! comment update sends POST, the spec says PATCH) — wrapped by kiln's
//! retry policy: exponential backoff on 5xx and transport errors, and on
//! rate limits (403/429 with `Retry-After`, or `x-ratelimit-remaining: 0`
//! with `x-ratelimit-reset`) a wait that honours those headers.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use octocrab::models::{AppId, CommentId, InstallationId};
use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum GhError {
    #[error("GitHub API {method} {path}: HTTP {status}: {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("GitHub API {method} {path}: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    #[error("GitHub API {path}: unexpected response: {message}")]
    Decode { path: String, message: String },
    #[error("GitHub App setup: {0}")]
    Setup(String),
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

/// Retry policy for one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub retries: u32,
    pub base: Duration,
    /// Longest wait honoured from `Retry-After` / reset headers.
    pub max_wait: Duration,
}

/// Installation tokens are renewed when they have less than this left.
const TOKEN_REFRESH_MARGIN_SECS: i64 = 300;

/// The App: its JWT-authenticated octocrab client and one client per
/// installation (each caching its own token).
#[derive(Clone)]
pub struct GitHubApp {
    app: Octocrab,
    installs: Arc<Mutex<HashMap<i64, Arc<Octocrab>>>>,
    /// Unauthenticated: follows download redirects to storage hosts, which
    /// must never see the installation token.
    storage: Arc<Octocrab>,
    policy: RetryPolicy,
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
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.min(10));
        exp.min(self.max_wait)
    }

    /// Run `op` until it succeeds, fails for good, or retries run out.
    async fn run<T, F, Fut>(&self, method: &str, path: &str, mut op: F) -> Result<T, GhError>
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
            let wait = match err {
                Failure::Other(message) => {
                    return Err(GhError::Decode {
                        path: path.to_string(),
                        message,
                    })
                }
                Failure::Transport(message) => {
                    if attempt >= self.retries {
                        return Err(GhError::Transport {
                            method: method.to_string(),
                            path: path.to_string(),
                            message,
                        });
                    }
                    tracing::warn!(%path, attempt, error = %message, "GitHub API: retrying");
                    self.backoff(attempt)
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
                    match hinted {
                        Some(w) => w.min(self.max_wait),
                        // Secondary limits without a hint: at least a minute per
                        // GitHub's docs, scaled down with the configured base for tests.
                        None if rate_limited => {
                            self.backoff(attempt).max(self.base * 60).min(self.max_wait)
                        }
                        None => self.backoff(attempt),
                    }
                }
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

impl GitHubApp {
    pub fn new(
        base: &str,
        app_id: &str,
        key_pem: &[u8],
        policy: RetryPolicy,
    ) -> Result<GitHubApp, GhError> {
        let key = octocrab::EncodingKey::from_rsa_pem(key_pem)
            .map_err(|e| GhError::Setup(format!("the App's private key: {e}")))?;
        let id: u64 = app_id
            .trim()
            .parse()
            .map_err(|_| GhError::Setup(format!("the App ID {app_id:?} is not a number")))?;
        let app = Octocrab::builder()
            .base_uri(base.trim_end_matches('/'))
            .map_err(|e| GhError::Setup(format!("GitHub API URL {base:?}: {e}")))?
            .app(AppId(id), key)
            .add_header(
                http::header::USER_AGENT,
                concat!("kiln-app/", env!("CARGO_PKG_VERSION")).to_string(),
            )
            // GitHub's media type, and plain JSON for servers that only know that.
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json, application/json".to_string(),
            )
            .set_connect_timeout(Some(Duration::from_secs(30)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| GhError::Setup(e.to_string()))?;
        let storage = Octocrab::builder()
            .set_connect_timeout(Some(Duration::from_secs(30)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| GhError::Setup(e.to_string()))?;
        Ok(GitHubApp {
            app,
            installs: Arc::new(Mutex::new(HashMap::new())),
            storage: Arc::new(storage),
            policy,
        })
    }

    /// The octocrab client of one installation (created once, kept).
    fn client(&self, installation_id: i64) -> Result<Arc<Octocrab>, GhError> {
        let mut map = self
            .installs
            .lock()
            .map_err(|_| GhError::Setup("installation cache poisoned".into()))?;
        if let Some(c) = map.get(&installation_id) {
            return Ok(c.clone());
        }
        let id = u64::try_from(installation_id)
            .map_err(|_| GhError::Setup(format!("bad installation id {installation_id}")))?;
        let crab = Arc::new(
            self.app
                .installation(InstallationId(id))
                .map_err(|e| GhError::Setup(e.to_string()))?,
        );
        map.insert(installation_id, crab.clone());
        Ok(crab)
    }

    /// An installation token: octocrab's cached one while it has more than
    /// five minutes left, else a fresh one (`POST
    /// /app/installations/{id}/access_tokens` with the App's JWT).
    pub async fn installation_token(&self, installation_id: i64) -> Result<String, GhError> {
        use octocrab::secrecy::ExposeSecret;
        let crab = self.client(installation_id)?;
        let path = format!("/app/installations/{installation_id}/access_tokens");
        let token = self
            .policy
            .run("POST", &path, || {
                crab.installation_token_with_buffer(chrono::Duration::seconds(
                    TOKEN_REFRESH_MARGIN_SECS,
                ))
            })
            .await?;
        Ok(token.expose_secret().to_string())
    }

    /// Forget an installation's client and token (after a 401 with it).
    pub async fn drop_token(&self, installation_id: i64) {
        if let Ok(mut map) = self.installs.lock() {
            map.remove(&installation_id);
        }
    }

    /// A client acting as one installation, its token already valid.
    pub async fn installation(&self, installation_id: i64) -> Result<Installation, GhError> {
        self.installation_token(installation_id).await?;
        Ok(Installation {
            crab: self.client(installation_id)?,
            storage: self.storage.clone(),
            policy: self.policy,
        })
    }
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

/// A git tree listing.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub entries: Vec<TreeEntry>,
    /// GitHub cut the recursive listing short.
    pub truncated: bool,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: i64,
    pub body: Option<String>,
}

/// A client acting as one installation.
#[derive(Clone)]
pub struct Installation {
    crab: Arc<Octocrab>,
    storage: Arc<Octocrab>,
    policy: RetryPolicy,
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, v: Value) -> Result<T, GhError> {
    serde_json::from_value(v).map_err(|e| GhError::Decode {
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn owner_name(repo: &str) -> Result<(&str, &str), GhError> {
    repo.split_once('/').ok_or_else(|| GhError::Decode {
        path: repo.to_string(),
        message: "repository name is not owner/name".into(),
    })
}

fn id_u64(id: i64) -> u64 {
    u64::try_from(id).unwrap_or_default()
}

/// `?per_page=100&page=N`.
#[derive(serde::Serialize)]
struct PageQuery<'a> {
    per_page: u32,
    page: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    check_name: Option<&'a str>,
}

impl Installation {
    pub(crate) async fn get_json<Q: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        query: Option<&Q>,
    ) -> Result<Value, GhError> {
        self.policy
            .run("GET", path, || self.crab.get::<Value, _, _>(path, query))
            .await
    }

    /// `GET /repos/{repo}/pulls/{n}/files`, every page (GitHub caps at 3000).
    pub async fn pr_files(&self, repo: &str, number: i64) -> Result<Vec<PrFile>, GhError> {
        let path = format!("/repos/{repo}/pulls/{number}/files");
        let mut all = Vec::new();
        for page in 1..=30 {
            let q = PageQuery {
                per_page: 100,
                page,
                check_name: None,
            };
            let files: Vec<octocrab::models::repos::DiffEntry> = self
                .policy
                .run("GET", &path, || self.crab.get(&path, Some(&q)))
                .await?;
            let n = files.len();
            for f in files {
                let status = serde_json::to_value(&f.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                all.push(PrFile {
                    filename: f.filename,
                    status,
                    previous_filename: f.previous_filename,
                });
            }
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `GET /repos/{repo}/git/trees/{sha}?recursive=1`: every entry.
    pub async fn tree(&self, repo: &str, sha: &str) -> Result<Vec<TreeEntry>, GhError> {
        Ok(self.tree_listing(repo, sha, true).await?.entries)
    }

    /// `GET /repos/{repo}/git/trees/{sha}` (`?recursive=1` when asked),
    /// with GitHub's `truncated` flag.
    pub async fn tree_listing(
        &self,
        repo: &str,
        sha: &str,
        recursive: bool,
    ) -> Result<Tree, GhError> {
        let path = format!("/repos/{repo}/git/trees/{sha}");
        let v = if recursive {
            self.get_json(&path, Some(&[("recursive", "1")])).await?
        } else {
            self.get_json(&path, None::<&()>).await?
        };
        let truncated = v.get("truncated").and_then(Value::as_bool).unwrap_or(false);
        let tree = v.get("tree").cloned().unwrap_or(Value::Array(vec![]));
        Ok(Tree {
            entries: decode(&path, tree)?,
            truncated,
        })
    }

    /// Open pull requests of `repo` whose head is `sha`: `GET
    /// /repos/{repo}/commits/{sha}/pulls`, and when that finds none (a
    /// fork's commit), the open pulls list filtered by head SHA.
    pub async fn pulls_for_commit(&self, repo: &str, sha: &str) -> Result<Vec<i64>, GhError> {
        let head_is = |p: &Value| {
            p.get("state").and_then(Value::as_str) == Some("open")
                && p.get("head")
                    .and_then(|h| h.get("sha"))
                    .and_then(Value::as_str)
                    == Some(sha)
        };
        let number = |p: &Value| p.get("number").and_then(Value::as_i64);
        let path = format!("/repos/{repo}/commits/{sha}/pulls");
        let v = self.get_json(&path, None::<&()>).await?;
        let mut found: Vec<i64> = v
            .as_array()
            .map(|a| a.iter().filter(|p| head_is(p)).filter_map(number).collect())
            .unwrap_or_default();
        if found.is_empty() {
            let path = format!("/repos/{repo}/pulls");
            for page in 1..=10u32 {
                let q = [
                    ("state", "open".to_string()),
                    ("per_page", "100".to_string()),
                    ("page", page.to_string()),
                ];
                let v = self.get_json(&path, Some(&q)).await?;
                let items = v.as_array().cloned().unwrap_or_default();
                found.extend(items.iter().filter(|p| head_is(p)).filter_map(number));
                if items.len() < 100 {
                    break;
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// `GET /repos/{repo}/git/blobs/{sha}`, decoded.
    pub async fn blob(&self, repo: &str, sha: &str) -> Result<Vec<u8>, GhError> {
        use base64::Engine;
        let path = format!("/repos/{repo}/git/blobs/{sha}");
        let v = self.get_json(&path, None::<&()>).await?;
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
        let v: Value = self
            .policy
            .run("POST", &path, || self.crab.post(&path, Some(body)))
            .await?;
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
        let path = format!("/repos/{repo}/commits/{sha}/check-runs");
        let mut all = Vec::new();
        for page in 1..=10 {
            let q = PageQuery {
                per_page: 100,
                page,
                check_name: Some(name),
            };
            let v = self.get_json(&path, Some(&q)).await?;
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
        self.policy
            .run("PATCH", &path, || {
                self.crab.patch::<Value, _, _>(&path, Some(body))
            })
            .await
            .map(|_| ())
    }

    /// `GET /repos/{repo}/issues/{n}/comments`, every page (octocrab's
    /// typed issues handler).
    pub async fn comments(&self, repo: &str, number: i64) -> Result<Vec<Comment>, GhError> {
        let (owner, name) = owner_name(repo)?;
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let mut all = Vec::new();
        for page in 1..=50u32 {
            let got = self
                .policy
                .run("GET", &path, || async move {
                    self.crab
                        .issues(owner, name)
                        .list_comments(id_u64(number))
                        .per_page(100)
                        .page(page)
                        .send()
                        .await
                })
                .await?;
            let n = got.items.len();
            all.extend(got.items.into_iter().map(|c| Comment {
                id: i64::try_from(c.id.into_inner()).unwrap_or_default(),
                body: c.body,
            }));
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    /// `POST /repos/{repo}/issues/{n}/comments` (octocrab's typed handler).
    pub async fn create_comment(
        &self,
        repo: &str,
        number: i64,
        body: &str,
    ) -> Result<i64, GhError> {
        let (owner, name) = owner_name(repo)?;
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let c = self
            .policy
            .run("POST", &path, || async move {
                self.crab
                    .issues(owner, name)
                    .create_comment(id_u64(number), body)
                    .await
            })
            .await?;
        Ok(i64::try_from(c.id.into_inner()).unwrap_or_default())
    }

    /// `PATCH /repos/{repo}/issues/comments/{id}`: PATCH as the spec says
    /// (octocrab's typed `update_comment` sends POST).
    pub async fn update_comment(&self, repo: &str, id: i64, body: &str) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        let b = serde_json::json!({ "body": body });
        self.policy
            .run("PATCH", &path, || {
                self.crab.patch::<Value, _, _>(&path, Some(&b))
            })
            .await
            .map(|_| ())
    }

    /// `DELETE /repos/{repo}/issues/comments/{id}`; already gone is fine.
    pub async fn delete_comment(&self, repo: &str, id: i64) -> Result<(), GhError> {
        let (owner, name) = owner_name(repo)?;
        let path = format!("/repos/{repo}/issues/comments/{id}");
        let r = self
            .policy
            .run("DELETE", &path, || async move {
                self.crab
                    .issues(owner, name)
                    .delete_comment(CommentId(id_u64(id)))
                    .await
            })
            .await;
        match r {
            Ok(()) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

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
        use http_body_util::BodyExt;
        let transport = |e: &dyn std::fmt::Display| GhError::Transport {
            method: "GET".into(),
            path: path.to_string(),
            message: e.to_string(),
        };
        let mut resp = self.crab._get(path).await.map_err(|e| transport(&e))?;
        if resp.status().is_redirection() {
            let location = resp
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or_else(|| GhError::Decode {
                    path: path.to_string(),
                    message: format!("{} without a Location header", resp.status()),
                })?;
            resp = self
                .storage
                ._get(location.as_str())
                .await
                .map_err(|e| transport(&e))?;
        }
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
        let mut body = resp.into_body();
        let mut buf = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| transport(&e))?;
            if let Some(chunk) = frame.data_ref() {
                if buf.len() + chunk.len() > max {
                    return Err(too_big());
                }
                buf.extend_from_slice(chunk);
            }
        }
        if status.is_success() {
            return Ok(buf);
        }
        let text = String::from_utf8_lossy(&buf);
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| text.chars().take(200).collect());
        Err(GhError::Status {
            method: "GET".into(),
            path: path.to_string(),
            status: status.as_u16(),
            message,
        })
    }
}

/// `heads/BRANCH` as one path segment (`/` escaped, as octokit's URL
/// templates send the `{ref}` parameter).
fn head_ref(branch: &str) -> String {
    format!("heads%2F{}", branch.replace('%', "%25").replace('/', "%2F"))
}

/// Git Data, pulls and labels for bump pull requests.
impl Installation {
    async fn send_json(&self, method: &str, path: &str, body: &Value) -> Result<Value, GhError> {
        match method {
            "POST" => {
                self.policy
                    .run(method, path, || {
                        self.crab.post::<_, Value>(path, Some(body))
                    })
                    .await
            }
            _ => {
                self.policy
                    .run(method, path, || {
                        self.crab.patch::<Value, _, _>(path, Some(body))
                    })
                    .await
            }
        }
    }

    fn sha_of(path: &str, v: &Value, pointer: &str) -> Result<String, GhError> {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| GhError::Decode {
                path: path.to_string(),
                message: format!("no {pointer} in the response"),
            })
    }

    /// `GET /repos/{repo}/git/ref/heads/{branch}`: the commit SHA a
    /// branch points at, `None` when there is no such branch.
    pub async fn branch_head(&self, repo: &str, branch: &str) -> Result<Option<String>, GhError> {
        let path = format!("/repos/{repo}/git/ref/{}", head_ref(branch));
        match self.get_json(&path, None::<&()>).await {
            Ok(v) => Ok(Some(Self::sha_of(&path, &v, "/object/sha")?)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /repos/{repo}/git/commits/{sha}`.
    pub async fn git_commit(&self, repo: &str, sha: &str) -> Result<Value, GhError> {
        self.get_json(&format!("/repos/{repo}/git/commits/{sha}"), None::<&()>)
            .await
    }

    /// `POST /repos/{repo}/git/blobs` (UTF-8 content); returns its SHA.
    pub async fn create_blob(&self, repo: &str, content: &str) -> Result<String, GhError> {
        let path = format!("/repos/{repo}/git/blobs");
        let body = serde_json::json!({ "content": content, "encoding": "utf-8" });
        let v = self.send_json("POST", &path, &body).await?;
        Self::sha_of(&path, &v, "/sha")
    }

    /// `POST /repos/{repo}/git/trees` on `base_tree`, `(path, blob sha)`
    /// entries as regular files; returns the tree SHA.
    pub async fn create_tree(
        &self,
        repo: &str,
        base_tree: &str,
        entries: &[(String, String)],
    ) -> Result<String, GhError> {
        let path = format!("/repos/{repo}/git/trees");
        let tree: Vec<Value> = entries
            .iter()
            .map(|(p, sha)| serde_json::json!({"path": p, "mode": "100644", "type": "blob", "sha": sha}))
            .collect();
        let body = serde_json::json!({ "base_tree": base_tree, "tree": tree });
        let v = self.send_json("POST", &path, &body).await?;
        Self::sha_of(&path, &v, "/sha")
    }

    /// `POST /repos/{repo}/git/commits`; returns the commit SHA.
    pub async fn create_commit(&self, repo: &str, body: &Value) -> Result<String, GhError> {
        let path = format!("/repos/{repo}/git/commits");
        let v = self.send_json("POST", &path, body).await?;
        Self::sha_of(&path, &v, "/sha")
    }

    /// `POST /repos/{repo}/git/refs`: a new branch at `sha`. `Ok(false)`
    /// when it already exists (422).
    pub async fn create_branch(
        &self,
        repo: &str,
        branch: &str,
        sha: &str,
    ) -> Result<bool, GhError> {
        let path = format!("/repos/{repo}/git/refs");
        let body = serde_json::json!({ "ref": format!("refs/heads/{branch}"), "sha": sha });
        match self.send_json("POST", &path, &body).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(422) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PATCH /repos/{repo}/git/refs/heads/{branch}` to `sha` (forced).
    pub async fn force_branch(&self, repo: &str, branch: &str, sha: &str) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/git/refs/{}", head_ref(branch));
        let body = serde_json::json!({ "sha": sha, "force": true });
        self.send_json("PATCH", &path, &body).await.map(|_| ())
    }

    /// `DELETE /repos/{repo}/git/refs/heads/{branch}`; already gone
    /// (404/422) is fine.
    pub async fn delete_branch(&self, repo: &str, branch: &str) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/git/refs/{}", head_ref(branch));
        let r = self
            .policy
            .run("DELETE", &path, || async {
                let resp = self.crab._delete(path.as_str(), None::<&()>).await?;
                octocrab::map_github_error(resp).await.map(|_| ())
            })
            .await;
        match r {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.status(), Some(404 | 422)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `GET /repos/{repo}/pulls?state=open&head=OWNER:BRANCH`: the open
    /// pull requests from `branch` of the repository itself.
    pub async fn open_pulls_from(&self, repo: &str, branch: &str) -> Result<Vec<Value>, GhError> {
        let (owner, _) = owner_name(repo)?;
        let path = format!("/repos/{repo}/pulls");
        let q = [
            ("state", "open".to_string()),
            ("head", format!("{owner}:{branch}")),
            ("per_page", "100".to_string()),
        ];
        let v = self.get_json(&path, Some(&q)).await?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p.pointer("/head/ref").and_then(Value::as_str) == Some(branch)
                    && p.get("state").and_then(Value::as_str) == Some("open")
            })
            .cloned()
            .collect())
    }

    /// `POST /repos/{repo}/pulls`; `Ok(None)` when GitHub answers 422
    /// (one already exists for the head).
    pub async fn create_pull(&self, repo: &str, body: &Value) -> Result<Option<i64>, GhError> {
        let path = format!("/repos/{repo}/pulls");
        match self.send_json("POST", &path, body).await {
            Ok(v) => Ok(v.get("number").and_then(Value::as_i64)),
            Err(e) if e.status() == Some(422) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PATCH /repos/{repo}/pulls/{n}` (title, body, state).
    pub async fn update_pull(&self, repo: &str, number: i64, body: &Value) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/pulls/{number}");
        self.send_json("PATCH", &path, body).await.map(|_| ())
    }

    /// `POST /repos/{repo}/issues/{n}/labels`.
    pub async fn add_labels(
        &self,
        repo: &str,
        number: i64,
        labels: &[String],
    ) -> Result<(), GhError> {
        let path = format!("/repos/{repo}/issues/{number}/labels");
        let body = serde_json::json!({ "labels": labels });
        self.send_json("POST", &path, &body).await.map(|_| ())
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
