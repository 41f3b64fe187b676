//! AWS Secrets Manager for the `aws_secretsmanager` and
//! `aws_secretsmanager_raw` template functions: `GetSecretValue` (JSON
//! 1.1 protocol) signed with SigV4 ([`super::sigv4`]), with the region
//! and credentials of kiln's one AWS chain ([`client::sdk_config`], the
//! one amazon-ebs and amazon-ami use). The endpoint is
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`, else the
//! region's; `AWS_CA_BUNDLE` adds a CA certificate file.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_ec2::config::ProvideCredentials;
use kiln_lang::aws_secrets::{AwsSecrets, AwsSecretsError};

use super::amazon_ebs::config::Access;
use super::client;
use super::own_thread::{self, OwnThreadError};
use super::sigv4::{sigv4_authorization, SigV4Request};

/// The service name errors start with.
const SERVICE: &str = "AWS Secrets Manager";

/// Why fetching a secret failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretsManagerError {
    /// The chain found no region.
    #[error(
        "AWS Secrets Manager: no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)"
    )]
    NoRegion,
    /// The chain found no credentials.
    #[error("AWS Secrets Manager: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use the shared credentials file)")]
    NoCredentials,
    /// The shared configuration could not be loaded.
    #[error("AWS Secrets Manager: {0}")]
    Config(String),
    /// `AWS_CA_BUNDLE` could not be read.
    #[error("AWS Secrets Manager: cannot read CA certificate file {}: {source}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `AWS_CA_BUNDLE` holds no certificate.
    #[error("AWS Secrets Manager: no PEM certificates found in {}", .0.display())]
    NoCertificates(PathBuf),
    /// The endpoint did not answer.
    #[error("AWS Secrets Manager: cannot reach {url}: {message}")]
    Unreachable {
        /// The endpoint's URL.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The response could not be read.
    #[error("AWS Secrets Manager: failed to read the response from {url}: {message}")]
    Response {
        /// The endpoint's URL.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The service answered with an error.
    #[error(
        "AWS Secrets Manager: error getting secret {secret_id:?} (HTTP {status}) {kind}: {message}"
    )]
    Service {
        /// The secret asked for.
        secret_id: String,
        /// The HTTP status.
        status: u16,
        /// The error type (`ResourceNotFoundException`, …).
        kind: String,
        /// The service's message.
        message: String,
    },
    /// `SecretBinary` is not base64.
    #[error("AWS Secrets Manager: invalid SecretBinary: {0}")]
    InvalidBinary(base64::DecodeError),
    /// Neither `SecretString` nor `SecretBinary`.
    #[error("AWS Secrets Manager: secret {0:?} has no value")]
    NoValue(String),
    /// The lookup's thread or runtime failed.
    #[error("AWS Secrets Manager: {0}")]
    Runtime(String),
}

impl From<SecretsManagerError> for AwsSecretsError {
    fn from(e: SecretsManagerError) -> Self {
        AwsSecretsError(e.to_string())
    }
}

/// Static AWS credentials resolved by the chain.
pub struct AwsCredentials {
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

/// Where and how to call Secrets Manager.
pub struct Target {
    /// `https://secretsmanager.REGION.amazonaws.com` or an override.
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// The signing credentials.
    pub credentials: AwsCredentials,
    /// `AWS_CA_BUNDLE`.
    pub ca_file: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Target {
    /// Region and credentials from kiln's AWS chain (as amazon-ebs with
    /// no access settings in the template), endpoint and CA bundle from
    /// the environment.
    pub async fn resolve() -> Result<Target, SecretsManagerError> {
        let sdk = client::sdk_config(&Access::default())
            .await
            .map_err(|e| SecretsManagerError::Config(e.to_string()))?;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or(SecretsManagerError::NoRegion)?;
        let provider = sdk
            .credentials_provider()
            .ok_or(SecretsManagerError::NoCredentials)?;
        let creds = provider.provide_credentials().await.map_err(|e| {
            tracing::debug!(error = %aws_sdk_ec2::error::DisplayErrorContext(&e), "AWS Secrets Manager: no credentials");
            SecretsManagerError::NoCredentials
        })?;
        let endpoint = env("AWS_ENDPOINT_URL_SECRETS_MANAGER")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"));
        Ok(Target {
            endpoint,
            region,
            credentials: AwsCredentials {
                access_key: creds.access_key_id().to_string(),
                secret_key: creds.secret_access_key().to_string(),
                session_token: creds.session_token().map(str::to_string),
            },
            ca_file: env("AWS_CA_BUNDLE").map(Into::into),
        })
    }
}

fn agent(ca_file: Option<&PathBuf>) -> Result<ureq::Agent, SecretsManagerError> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig};
    let mut tls_config = TlsConfig::builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|source| SecretsManagerError::CaFile {
            path: path.clone(),
            source,
        })?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(SecretsManagerError::NoCertificates(path.clone()));
        }
        tls_config = tls_config.root_certs(RootCerts::new_with_certs(&certs));
    }
    Ok(ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .tls_config(tls_config.build())
        .build()
        .into())
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `GetSecretValue`: the secret's `SecretString` (or its `SecretBinary`
/// as text). Blocking.
pub fn get_secret(
    target: &Target,
    secret_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, SecretsManagerError> {
    let endpoint = target.endpoint.trim_end_matches('/');
    let after_scheme = endpoint
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(endpoint);
    let (host, path) = match after_scheme.find('/') {
        Some(i) => (&after_scheme[..i], &after_scheme[i..]),
        None => (after_scheme, "/"),
    };
    let url = if endpoint.contains("://") {
        format!("{endpoint}/")
    } else {
        format!("https://{endpoint}/")
    };
    let body = serde_json::json!({ "SecretId": secret_id }).to_string();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![
        (
            "Content-Type".to_string(),
            "application/x-amz-json-1.1".to_string(),
        ),
        ("Host".to_string(), host.to_string()),
        ("X-Amz-Date".to_string(), amz_date.clone()),
        (
            "X-Amz-Target".to_string(),
            "secretsmanager.GetSecretValue".to_string(),
        ),
    ];
    if let Some(t) = &target.credentials.session_token {
        headers.push(("X-Amz-Security-Token".to_string(), t.clone()));
    }
    let auth = sigv4_authorization(
        &SigV4Request {
            method: "POST",
            path: if path.ends_with('/') {
                path.to_string()
            } else {
                format!("{path}/")
            }
            .as_str(),
            query: "",
            headers: &headers,
            payload: body.as_bytes(),
            region: &target.region,
            service: "secretsmanager",
            amz_date: &amz_date,
        },
        &target.credentials.access_key,
        &target.credentials.secret_key,
    );
    headers.push(("Authorization".to_string(), auth));
    headers.retain(|(k, _)| k != "Host");
    let (status, text) = post(target, &url, &headers, &body)?;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if !(200..300).contains(&status) {
        return Err(SecretsManagerError::Service {
            secret_id: secret_id.to_string(),
            status,
            kind: json.get("__type").map(json_text).unwrap_or_default(),
            message: json
                .get("message")
                .or_else(|| json.get("Message"))
                .map(json_text)
                .unwrap_or_else(|| text.trim().to_string()),
        });
    }
    match (json.get("SecretString"), json.get("SecretBinary")) {
        (Some(serde_json::Value::String(s)), _) => Ok(s.clone()),
        (_, Some(serde_json::Value::String(b))) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(SecretsManagerError::InvalidBinary)?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => Err(SecretsManagerError::NoValue(secret_id.to_string())),
    }
}

/// One POST; transport failures name the service and address.
fn post(
    target: &Target,
    url: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<(u16, String), SecretsManagerError> {
    let agent = agent(target.ca_file.as_ref())?;
    let mut req = agent.post(url);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let response = req
        .send(body)
        .map_err(|e| SecretsManagerError::Unreachable {
            url: url.to_string(),
            message: e.to_string(),
        })?;
    let status = response.status().as_u16();
    let text =
        response
            .into_body()
            .read_to_string()
            .map_err(|e| SecretsManagerError::Response {
                url: url.to_string(),
                message: e.to_string(),
            })?;
    Ok((status, text))
}

/// kiln's Secrets Manager client for template evaluation
/// ([`kiln_lang::template::LoadOptions::aws_secrets`]). Each lookup
/// resolves the chain afresh (the environment may differ between
/// commands of one process) on a thread and runtime of its own, as
/// evaluation is synchronous and may run on a runtime thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecretsManager;

impl SecretsManager {
    /// Fetch `secret_id`.
    pub fn fetch(secret_id: &str) -> Result<String, SecretsManagerError> {
        let target = own_thread::block_on(Target::resolve()).map_err(|e| match e {
            OwnThreadError::Runtime(e) => SecretsManagerError::Runtime(e.to_string()),
            OwnThreadError::Panicked => {
                SecretsManagerError::Runtime("the lookup thread panicked".into())
            }
        })??;
        tracing::debug!(endpoint = %target.endpoint, region = %target.region, "{SERVICE}: GetSecretValue");
        get_secret(&target, secret_id, chrono::Utc::now())
    }
}

impl AwsSecrets for SecretsManager {
    fn secret_string(&self, secret_id: &str) -> Result<String, AwsSecretsError> {
        Self::fetch(secret_id).map_err(Into::into)
    }
}

/// The Secrets Manager client, shared, for
/// [`kiln_lang::template::LoadOptions::aws_secrets`].
pub fn aws_secrets() -> std::sync::Arc<dyn AwsSecrets> {
    std::sync::Arc::new(SecretsManager)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0");
        l.ok()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
            .unwrap_or(1)
    }

    /// Moved from kiln-lang's `unreachable_services_name_service_and_address`.
    #[test]
    fn unreachable_service_names_service_and_address() {
        let addr = format!("http://127.0.0.1:{}", closed_port());
        let target = Target {
            endpoint: addr.clone(),
            region: "us-east-1".into(),
            credentials: AwsCredentials {
                access_key: "AKID".into(),
                secret_key: "S".into(),
                session_token: None,
            },
            ca_file: None,
        };
        let e = get_secret(&target, "s", chrono::Utc::now())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("AWS Secrets Manager") && e.contains(&addr),
            "{e}"
        );
    }
}
