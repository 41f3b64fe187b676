//! The App and its installations: the App's JWT-authenticated octocrab
//! client ([`GitHubApp`]), one client per installation whose token
//! octocrab caches and refreshes five minutes before expiry
//! ([`Installation`]), and the generic JSON requests the per-API modules
//! are written with, each through the [`RetryPolicy`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use octocrab::models::{AppId, InstallationId};
use octocrab::Octocrab;
use serde_json::Value;

use super::{GhError, RetryPolicy};

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

/// A client acting as one installation. Its API calls are grouped by
/// area in the sibling modules (`pulls`, `contents`, `checks`,
/// `comments`, `git`, `download`).
#[derive(Clone)]
pub struct Installation {
    pub(super) crab: Arc<Octocrab>,
    pub(super) storage: Arc<Octocrab>,
    pub(super) policy: RetryPolicy,
}

/// A JSON answer as `T`, or a decode error naming the path.
pub(super) fn decode<T: serde::de::DeserializeOwned>(path: &str, v: Value) -> Result<T, GhError> {
    serde_json::from_value(v).map_err(|e| GhError::Decode {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// An ID as octocrab's `u64` (0 for the impossible negative).
pub(super) fn id_u64(id: i64) -> u64 {
    u64::try_from(id).unwrap_or_default()
}

/// `?per_page=100&page=N`.
#[derive(serde::Serialize)]
pub(super) struct PageQuery<'a> {
    pub per_page: u32,
    pub page: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_name: Option<&'a str>,
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

    /// `POST` (or, for any other method, `PATCH`) a JSON body.
    pub(super) async fn send_json(
        &self,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Result<Value, GhError> {
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
}
