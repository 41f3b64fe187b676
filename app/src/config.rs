//! Settings: command-line flags, `KILN_*` environment variables and an
//! optional YAML config file (flags and env win over the file).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

/// The default SQLite database: a file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://kiln-app.db?mode=rwc";

/// kiln-app: a GitHub App that checks Packer templates on every pull
/// request (validate + fmt check), reported as a check run and one sticky
/// comment. Every setting can be given as a flag, an environment variable
/// or a key of the config file (`--config`), in that order of precedence.
#[derive(Parser, Debug, Clone, Default)]
#[command(name = "kiln-app", version, about, long_about = None)]
pub struct Args {
    /// YAML config file whose keys are the long flag names with `_`
    /// (`app_id`, `webhook_secret`, `listen`, `database_url`, …).
    #[arg(long, env = "KILN_APP_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The GitHub App's ID (used as the JWT issuer).
    #[arg(long, env = "KILN_APP_ID")]
    pub app_id: Option<String>,
    /// Path to the App's private key (PEM).
    #[arg(long, env = "KILN_PRIVATE_KEY_PATH", value_name = "FILE")]
    pub private_key_path: Option<PathBuf>,
    /// The App's private key itself (PEM), instead of a path.
    #[arg(long, env = "KILN_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// Webhook secret(s); comma-separated to rotate (any one verifies).
    #[arg(long, env = "KILN_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, env = "KILN_GITHUB_API_URL", value_name = "URL")]
    pub github_api_url: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KILN_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Database URL: sqlite://FILE or postgres://… [default: sqlite://kiln-app.db in the working directory].
    #[arg(long, env = "KILN_DATABASE_URL", value_name = "URL", global = true)]
    pub database_url: Option<String>,
    /// Number of concurrent job workers; 0 runs webhook intake only (workers elsewhere) [default: 4].
    #[arg(long, env = "KILN_WORKERS")]
    pub workers: Option<usize>,
    /// Largest accepted webhook body in bytes [default: 26214400 (25 MiB, GitHub's cap)].
    #[arg(long, env = "KILN_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Seconds a claimed job is leased before another worker may re-claim it [default: 120].
    #[arg(long, env = "KILN_LEASE_SECONDS")]
    pub lease_seconds: Option<u64>,
    /// Attempts per job before it is given up [default: 5].
    #[arg(long, env = "KILN_MAX_ATTEMPTS")]
    pub max_attempts: Option<u32>,
    /// Retries of one GitHub API request on 5xx / rate limits [default: 5].
    #[arg(long, env = "KILN_HTTP_RETRIES")]
    pub http_retries: Option<u32>,
    /// First retry delay in milliseconds, doubled each retry, when GitHub gives no Retry-After [default: 1000].
    #[arg(long, env = "KILN_RETRY_BASE_MS")]
    pub retry_base_ms: Option<u64>,
    /// Idle poll interval of the workers in milliseconds [default: 500].
    #[arg(long, env = "KILN_POLL_MS")]
    pub poll_ms: Option<u64>,
    /// Name of the check run [default: kiln].
    #[arg(long, env = "KILN_CHECK_NAME")]
    pub check_name: Option<String>,
    /// `token create --repo OWNER/NAME`: issue a registry API token.
    #[command(subcommand)]
    pub command: Option<crate::registry::cli::Command>,
}

/// The YAML config file: same keys as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    app_id: Option<serde_norway::Value>,
    private_key_path: Option<PathBuf>,
    private_key: Option<String>,
    webhook_secret: Option<String>,
    github_api_url: Option<String>,
    listen: Option<String>,
    database_url: Option<String>,
    workers: Option<usize>,
    max_body_bytes: Option<usize>,
    lease_seconds: Option<u64>,
    max_attempts: Option<u32>,
    http_retries: Option<u32>,
    retry_base_ms: Option<u64>,
    poll_ms: Option<u64>,
    check_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_norway::Error,
    },
    #[error("{0} is required (flag --{1} or env {2})")]
    Missing(&'static str, &'static str, &'static str),
    #[error("invalid listen address {0:?}: {1}")]
    Listen(String, std::net::AddrParseError),
    #[error("reading private key {path}: {source}")]
    Key {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid private key: {0}")]
    KeyFormat(String),
}

/// Resolved settings.
#[derive(Clone)]
pub struct Config {
    pub app_id: String,
    pub private_key_pem: Vec<u8>,
    pub webhook_secrets: Vec<Vec<u8>>,
    pub github_api_url: String,
    pub listen: SocketAddr,
    pub database_url: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub lease: Duration,
    pub max_attempts: u32,
    pub http_retries: u32,
    pub retry_base: Duration,
    pub poll: Duration,
    pub check_name: String,
}

impl std::fmt::Debug for Config {
    // Secrets are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("app_id", &self.app_id)
            .field("github_api_url", &self.github_api_url)
            .field("listen", &self.listen)
            .field("database_url", &mask_url(&self.database_url))
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:pass@host/db` → `postgres://user:***@host/db`.
pub fn mask_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            let user = cred.split(':').next().unwrap_or_default();
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    url.to_string()
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_norway::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

impl Config {
    /// The database URL alone, resolved like the server's (flag, env,
    /// config file, default): what `kiln-app token create` needs.
    pub fn database_url(args: &Args) -> Result<String, ConfigError> {
        let file = match &args.config {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        Ok(args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()))
    }

    /// Resolve flags/env (already merged by clap) over the config file.
    pub fn resolve(args: Args) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let file_app_id = file.app_id.as_ref().and_then(|v| match v {
            serde_norway::Value::Number(n) => Some(n.to_string()),
            serde_norway::Value::String(s) => Some(s.clone()),
            _ => None,
        });
        let app_id = args.app_id.or(file_app_id).ok_or(ConfigError::Missing(
            "the App ID",
            "app-id",
            "KILN_APP_ID",
        ))?;
        let key_inline = args.private_key.or(file.private_key);
        let key_path = args.private_key_path.or(file.private_key_path);
        let private_key_pem = match (key_inline, key_path) {
            (Some(k), _) => k.into_bytes(),
            (None, Some(p)) => std::fs::read(&p).map_err(|source| ConfigError::Key {
                path: p.clone(),
                source,
            })?,
            (None, None) => {
                return Err(ConfigError::Missing(
                    "the App's private key",
                    "private-key-path",
                    "KILN_PRIVATE_KEY_PATH",
                ))
            }
        };
        octocrab::EncodingKey::from_rsa_pem(&private_key_pem)
            .map_err(|e| ConfigError::KeyFormat(e.to_string()))?;
        let secrets = args
            .webhook_secret
            .or(file.webhook_secret)
            .ok_or(ConfigError::Missing(
                "the webhook secret",
                "webhook-secret",
                "KILN_WEBHOOK_SECRET",
            ))?;
        let webhook_secrets: Vec<Vec<u8>> = secrets
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes().to_vec())
            .collect();
        if webhook_secrets.is_empty() {
            return Err(ConfigError::Missing(
                "a non-empty webhook secret",
                "webhook-secret",
                "KILN_WEBHOOK_SECRET",
            ));
        }
        let listen_s = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let listen = listen_s
            .parse()
            .map_err(|e| ConfigError::Listen(listen_s.clone(), e))?;
        Ok(Config {
            app_id,
            private_key_pem,
            webhook_secrets,
            github_api_url: args
                .github_api_url
                .or(file.github_api_url)
                .unwrap_or_else(|| "https://api.github.com".to_string())
                .trim_end_matches('/')
                .to_string(),
            listen,
            database_url: args
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            workers: args.workers.or(file.workers).unwrap_or(4),
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(25 * 1024 * 1024),
            lease: Duration::from_secs(
                args.lease_seconds
                    .or(file.lease_seconds)
                    .unwrap_or(120)
                    .max(1),
            ),
            max_attempts: args.max_attempts.or(file.max_attempts).unwrap_or(5).max(1),
            http_retries: args.http_retries.or(file.http_retries).unwrap_or(5),
            retry_base: Duration::from_millis(
                args.retry_base_ms.or(file.retry_base_ms).unwrap_or(1000),
            ),
            poll: Duration::from_millis(args.poll_ms.or(file.poll_ms).unwrap_or(500).max(10)),
            check_name: args
                .check_name
                .or(file.check_name)
                .unwrap_or_else(|| "kiln".to_string()),
        })
    }
}
