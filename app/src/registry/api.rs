//! The registry's REST API under `/api/v1/`: JSON that Terraform's `http`
//! data source reads with `jsondecode`. Reads are public; writes need a
//! repository token (`Authorization: Bearer kiln_…`) of the bucket's
//! repository.
//!
//! | method | path | |
//! | --- | --- | --- |
//! | GET | `/api/v1/buckets` | every bucket |
//! | GET | `/api/v1/buckets/{bucket}` | one bucket, its channels |
//! | GET | `/api/v1/buckets/{bucket}/versions` | versions, newest commit first |
//! | GET | `/api/v1/buckets/{bucket}/versions/{fingerprint}` | a version and its builds (410 when revoked) |
//! | GET | `/api/v1/buckets/{bucket}/channels/{channel}` | the version a channel serves (410 when revoked) |
//! | PUT | `/api/v1/buckets/{bucket}/channels/{channel}` | `{"fingerprint": …}` |
//! | POST | `/api/v1/buckets/{bucket}/versions/{fingerprint}/revoke` | `{"reason": …, "revoke_at": RFC 3339?}` |
//! | POST | `/api/v1/manifests` | a manifest from a pipeline (see [`ManifestRequest`]) |

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::manifest::{check_name, versions, Provenance};
use super::model::{parse_rfc3339, rfc3339};
use super::store::{Registry, RegistryError};
use super::{cache, tokens};
use crate::state::AppState;
use crate::store::now_ms;

/// Largest manifest request body.
const MAX_MANIFEST_BYTES: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/buckets", get(list_buckets))
        .route("/api/v1/buckets/{bucket}", get(get_bucket))
        .route("/api/v1/buckets/{bucket}/versions", get(list_versions))
        .route(
            "/api/v1/buckets/{bucket}/versions/{fingerprint}",
            get(get_version),
        )
        .route(
            "/api/v1/buckets/{bucket}/versions/{fingerprint}/revoke",
            post(revoke),
        )
        .route(
            "/api/v1/buckets/{bucket}/channels/{channel}",
            get(get_channel).put(put_channel),
        )
        .route("/api/v1/manifests", post(post_manifest))
}

/// A JSON response (axum's `json` feature is not enabled).
struct Json<T>(T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(b) => ([("content-type", "application/json")], b).into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    }
}

fn error(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": msg.to_string() }))).into_response()
}

fn registry(st: &AppState) -> Registry {
    Registry::new(&st.store)
}

fn internal(e: RegistryError) -> Response {
    match e {
        RegistryError::NotOwner { .. } => error(StatusCode::FORBIDDEN, e),
        RegistryError::Revoked { .. } => error(StatusCode::CONFLICT, e),
        RegistryError::NoBucket(_) | RegistryError::NoVersion { .. } => {
            error(StatusCode::NOT_FOUND, e)
        }
        e => {
            tracing::error!(error = %e, "registry storage");
            error(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
        }
    }
}

fn gone_message(bucket: &str, fingerprint: &str, reason: Option<&str>) -> String {
    format!(
        "version {fingerprint:?} of bucket {bucket:?} is revoked: {}",
        reason.unwrap_or("no reason given")
    )
}

fn error_body(msg: impl std::fmt::Display) -> Vec<u8> {
    serde_json::to_vec(&json!({ "error": msg.to_string() })).unwrap_or_default()
}

fn raw_json(status: u16, body: impl Into<Body>) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body.into(),
    )
        .into_response()
}

/// A lookup answer: `(status, JSON body, revoke_at of the version served)`.
type Answer = (u16, Vec<u8>, Option<i64>);

/// Serve `key` from the lookup cache, or compute, cache and serve it.
async fn cached<F>(key: String, compute: F) -> Response
where
    F: std::future::Future<Output = Result<Answer, RegistryError>>,
{
    if let Some(e) = cache::get(&key) {
        return raw_json(e.status, e.body);
    }
    let generation = cache::generation();
    match compute.await {
        Ok((status, body, revoke_at)) => {
            let body = axum::body::Bytes::from(body);
            cache::put(key, generation, status, body.clone(), revoke_at);
            raw_json(status, body)
        }
        Err(e) => internal(e),
    }
}

fn revoke_ms(v: &super::model::Version) -> Option<i64> {
    v.revoke_at.as_deref().and_then(parse_rfc3339)
}

async fn list_buckets(State(st): State<Arc<AppState>>) -> Response {
    match registry(&st).buckets().await {
        Ok(b) => Json(json!({ "buckets": b })).into_response(),
        Err(e) => internal(e),
    }
}

async fn get_bucket(State(st): State<Arc<AppState>>, Path(bucket): Path<String>) -> Response {
    match registry(&st).bucket(&bucket).await {
        Ok(Some(b)) => Json(b).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no bucket {bucket:?}")),
        Err(e) => internal(e),
    }
}

async fn list_versions(State(st): State<Arc<AppState>>, Path(bucket): Path<String>) -> Response {
    match registry(&st).versions(&bucket).await {
        Ok(Some(v)) => Json(json!({ "bucket_name": bucket, "versions": v })).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no bucket {bucket:?}")),
        Err(e) => internal(e),
    }
}

async fn get_version(
    State(st): State<Arc<AppState>>,
    Path((bucket, fingerprint)): Path<(String, String)>,
) -> Response {
    let key = format!("v\0{bucket}\0{fingerprint}");
    cached(key, async {
        Ok(match registry(&st).version(&bucket, &fingerprint).await? {
            Some(v) if v.revoked => (
                410,
                error_body(gone_message(
                    &bucket,
                    &fingerprint,
                    v.revoke_reason.as_deref(),
                )),
                None,
            ),
            Some(v) => (200, serde_json::to_vec(&v)?, revoke_ms(&v)),
            None => (
                404,
                error_body(format!("no version {fingerprint:?} in bucket {bucket:?}")),
                None,
            ),
        })
    })
    .await
}

async fn get_channel(
    State(st): State<Arc<AppState>>,
    Path((bucket, channel)): Path<(String, String)>,
) -> Response {
    let key = format!("c\0{bucket}\0{channel}");
    cached(key, async {
        Ok(match registry(&st).channel(&bucket, &channel).await? {
            Some(c) if c.version.revoked => (
                410,
                error_body(gone_message(
                    &bucket,
                    &c.version.fingerprint,
                    c.version.revoke_reason.as_deref(),
                )),
                None,
            ),
            Some(c) => {
                let until = revoke_ms(&c.version);
                (200, serde_json::to_vec(&c)?, until)
            }
            None => (
                404,
                error_body(format!("no channel {channel:?} in bucket {bucket:?}")),
                None,
            ),
        })
    })
    .await
}

/// The repository of the request's bearer token, or the error response.
async fn authenticate(st: &AppState, headers: &HeaderMap) -> Result<String, Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "missing Authorization: Bearer <repository token>",
            )
        })?;
    match registry(st).token_repo(&tokens::hash(token)).await {
        Ok(Some(repo)) => Ok(repo),
        Ok(None) => Err(error(StatusCode::UNAUTHORIZED, "invalid token")),
        Err(e) => Err(internal(e)),
    }
}

/// The bucket must exist and belong to the token's repository.
async fn authorize_bucket(
    st: &AppState,
    headers: &HeaderMap,
    bucket: &str,
) -> Result<String, Response> {
    let repo = authenticate(st, headers).await?;
    match registry(st).owner(bucket).await {
        Ok(Some(owner)) if owner == repo => Ok(repo),
        Ok(Some(owner)) => Err(error(
            StatusCode::FORBIDDEN,
            format!("bucket {bucket:?} belongs to repository {owner}, not {repo}"),
        )),
        Ok(None) => Err(error(
            StatusCode::NOT_FOUND,
            format!("no bucket {bucket:?}"),
        )),
        Err(e) => Err(internal(e)),
    }
}

/// A JSON request body, or the 400 answer naming what is wrong with it.
fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(bytes)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, format!("request body: {e}"))))
}

/// A write to `bucket`: the token's repository (which must own it) and
/// the request body.
async fn bucket_request<T: serde::de::DeserializeOwned>(
    st: &AppState,
    headers: &HeaderMap,
    bucket: &str,
    body: &[u8],
) -> Result<(String, T), Response> {
    let repo = authorize_bucket(st, headers, bucket).await?;
    Ok((repo, json_body(body).map_err(|r| *r)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelRequest {
    fingerprint: String,
}

async fn put_channel(
    State(st): State<Arc<AppState>>,
    Path((bucket, channel)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (repo, req): (String, ChannelRequest) =
        match bucket_request(&st, &headers, &bucket, &body).await {
            Ok(r) => r,
            Err(resp) => return resp,
        };
    if let Err(e) = check_name("channel", &channel) {
        return error(StatusCode::BAD_REQUEST, e);
    }
    let reg = registry(&st);
    match reg
        .assign_channel(&bucket, &channel, &req.fingerprint, &format!("api:{repo}"))
        .await
    {
        Ok(()) => {}
        Err(e) => return internal(e),
    }
    tracing::info!(%bucket, %channel, fingerprint = %req.fingerprint, %repo, "channel assigned");
    match reg.channel(&bucket, &channel).await {
        Ok(Some(c)) => Json(c).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "channel vanished"),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    reason: String,
    #[serde(default)]
    revoke_at: Option<String>,
}

async fn revoke(
    State(st): State<Arc<AppState>>,
    Path((bucket, fingerprint)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (repo, req): (String, RevokeRequest) =
        match bucket_request(&st, &headers, &bucket, &body).await {
            Ok(r) => r,
            Err(resp) => return resp,
        };
    if req.reason.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "reason must not be empty");
    }
    let at = match req.revoke_at.as_deref() {
        None => None,
        Some(s) => match parse_rfc3339(s) {
            Some(t) => Some(t),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("revoke_at {s:?} is not an RFC 3339 time"),
                )
            }
        },
    };
    match registry(&st)
        .revoke(&bucket, &fingerprint, at, req.reason.trim())
        .await
    {
        Ok(at) => {
            tracing::info!(%bucket, %fingerprint, %repo, revoke_at = %rfc3339(at), "version revoked");
            if at <= now_ms() {
                match crate::bump::after_revoke(&st.store, &bucket, &fingerprint, at).await {
                    Ok(true) => st.wake.notify_waiters(),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(%bucket, error = %e, "revocation: bump not enqueued"),
                }
            }
            Json(json!({
                "bucket_name": bucket,
                "fingerprint": fingerprint,
                "revoke_at": rfc3339(at),
                "revoked": at <= now_ms(),
                "revoke_reason": req.reason.trim(),
            }))
            .into_response()
        }
        Err(e) => internal(e),
    }
}

/// `POST /api/v1/manifests`: a Packer manifest from a pipeline.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestRequest {
    /// `owner/name`; must be the token's repository.
    pub repo: String,
    /// The commit the images were built from.
    pub sha: String,
    /// The manifest: its JSON object, or the file's text as a string.
    pub manifest: Value,
    /// Default: the git SHA.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Default: one bucket per build name.
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Point this channel at the new version (if its commit is the latest).
    #[serde(default)]
    pub channel: Option<String>,
    /// The commit's time (RFC 3339), ordering versions; default: now.
    #[serde(default)]
    pub commit_time: Option<String>,
    #[serde(default)]
    pub source_image: Option<String>,
}

async fn post_manifest(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let repo = match authenticate(&st, &headers).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let bytes = match axum::body::to_bytes(body, MAX_MANIFEST_BYTES).await {
        Ok(b) => b,
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
    };
    let req: ManifestRequest = match json_body(&bytes) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if req.repo != repo {
        return error(
            StatusCode::FORBIDDEN,
            format!("this token is for repository {repo}, not {}", req.repo),
        );
    }
    let commit_order = match req.commit_time.as_deref() {
        None => now_ms(),
        Some(s) => match parse_rfc3339(s) {
            Some(t) => t,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("commit_time {s:?} is not an RFC 3339 time"),
                )
            }
        },
    };
    let manifest_bytes = match &req.manifest {
        Value::String(s) => s.clone().into_bytes(),
        v => serde_json::to_vec(v).unwrap_or_default(),
    };
    let prov = Provenance {
        repo: req.repo.clone(),
        git_sha: req.sha.clone(),
        fingerprint: req.fingerprint.clone(),
        bucket: req.bucket.clone(),
        labels: req.labels.clone(),
        channel: req.channel.clone(),
        run_id: None,
        commit_order,
        source_image: req.source_image.clone(),
    };
    let versions = match versions(&manifest_bytes, &prov) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    match super::record_all(&registry(&st), &versions).await {
        Ok(recorded) => {
            let changed = recorded
                .iter()
                .any(|r| r.version_created || r.builds_recorded > 0);
            tracing::info!(%repo, sha = %req.sha, versions = recorded.len(), changed, "manifest recorded");
            let status = if changed {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(json!({ "recorded": recorded }))).into_response()
        }
        Err(e) => internal(e),
    }
}
