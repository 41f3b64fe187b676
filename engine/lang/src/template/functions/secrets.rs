//! Secret stores: HashiCorp Vault (`vault`) and Consul KV (`consul_key`).
//! (AWS Secrets Manager, `aws_secretsmanager*`, is in `aws.rs` and goes
//! through the build layer's AWS client.)
//!
//! Each reads its configuration from the environment the way the
//! official clients do, then makes one HTTP request with short timeouts.

use std::time::Duration;

use super::helpers::{failed, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(crate) fn env_true(name: &str) -> bool {
    env(name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

pub(crate) fn env_false(name: &str) -> bool {
    env(name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no"))
}

/// TLS settings of one client: an extra CA bundle and whether to skip
/// certificate verification.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    pub ca_file: Option<std::path::PathBuf>,
    pub skip_verify: bool,
}

fn agent(service: &str, tls: &TlsOptions) -> Result<ureq::Agent, FuncError> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig};
    let mut tls_config = TlsConfig::builder().disable_verification(tls.skip_verify);
    if let Some(path) = &tls.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            failed(format!(
                "{service}: cannot read CA certificate file {}: {e}",
                path.display()
            ))
        })?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(failed(format!(
                "{service}: no PEM certificates found in {}",
                path.display()
            )));
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

/// One request; transport failures name the service and address.
pub(crate) fn request(
    service: &str,
    tls: &TlsOptions,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> Result<(u16, String), FuncError> {
    let agent = agent(service, tls)?;
    let unreachable = |e: ureq::Error| failed(format!("{service}: cannot reach {url}: {e}"));
    let response = match (method, body) {
        ("POST", Some(body)) => {
            let mut req = agent.post(url);
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str());
            }
            req.send(body).map_err(unreachable)?
        }
        _ => {
            let mut req = agent.get(url);
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str());
            }
            req.call().map_err(unreachable)?
        }
    };
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().map_err(|e| {
        failed(format!(
            "{service}: failed to read the response from {url}: {e}"
        ))
    })?;
    Ok((status, text))
}

pub(crate) fn json_field_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- env

/// `env(name)`: the environment variable's value, or "" when unset.
/// Packer allows it only in input variable defaults (see
/// [`super::Function::variable_default_only`]).
pub fn env_fn(_: &FuncCtx, a: &[Value]) -> R {
    let name = str_arg(a, 0)?;
    Ok(string(std::env::var(name.as_ref()).unwrap_or_default()))
}

// ---------------------------------------------------------------- Vault

/// Vault client settings (`VAULT_ADDR`, `VAULT_TOKEN` or `~/.vault-token`,
/// `VAULT_NAMESPACE`).
pub struct VaultConfig {
    pub addr: String,
    pub token: Option<String>,
    pub namespace: Option<String>,
    /// `VAULT_CACERT`, `VAULT_SKIP_VERIFY`.
    pub tls: TlsOptions,
}

impl VaultConfig {
    pub fn from_env() -> Self {
        // Like Packer (packer-plugin-sdk), the token must come from VAULT_TOKEN.
        let token = env("VAULT_TOKEN");
        VaultConfig {
            addr: env("VAULT_ADDR").unwrap_or_else(|| "https://127.0.0.1:8200".into()),
            token,
            namespace: env("VAULT_NAMESPACE"),
            tls: TlsOptions {
                ca_file: env("VAULT_CACERT").map(Into::into),
                skip_verify: env_true("VAULT_SKIP_VERIFY"),
            },
        }
    }
}

/// Read `key` from the secret at `path` (KV v1 `data.key` or KV v2 `data.data.key`).
pub fn vault_read(cfg: &VaultConfig, path: &str, key: &str) -> Result<String, FuncError> {
    let url = format!(
        "{}/v1/{}",
        cfg.addr.trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    let Some(token) = &cfg.token else {
        return Err(failed(
            "Vault: must set VAULT_TOKEN env var in order to use the vault function",
        ));
    };
    let mut headers = vec![("X-Vault-Token".to_string(), token.clone())];
    if let Some(ns) = &cfg.namespace {
        headers.push(("X-Vault-Namespace".to_string(), ns.clone()));
    }
    let (status, body) = request("Vault", &cfg.tls, "GET", &url, &headers, None)?;
    if status == 404 {
        return Err(failed(format!(
            "Vault secret does not exist at the given path: {path}"
        )));
    }
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
        failed(format!(
            "Vault: unexpected response from {url} (HTTP {status})"
        ))
    })?;
    if !(200..300).contains(&status) {
        let errors = json.get("errors").map(json_field_text).unwrap_or_default();
        return Err(failed(format!(
            "Vault: error reading {path} (HTTP {status}): {errors}"
        )));
    }
    let data = json.get("data");
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        other => Err(failed(format!(
            "Vault: the value of {key:?} at {path} is not a string: {other}"
        ))),
    };
    // KV v2 nests the secret under data.data; KV v1 has it under data.
    match data.and_then(|d| d.get("data")) {
        Some(inner) => match inner.get(key) {
            Some(v) => text(v),
            None => Err(failed(format!(
                "Vault path {path} does not contain the requested key {key:?}"
            ))),
        },
        None => match data.and_then(|d| d.get(key)) {
            Some(v) => text(v),
            None => {
                let warnings = json
                    .get("warnings")
                    .map(json_field_text)
                    .unwrap_or_default();
                Err(failed(format!(
                    "Vault data was empty at the given path {path}. Warnings: {warnings}"
                )))
            }
        },
    }
}

pub fn vault(_: &FuncCtx, a: &[Value]) -> R {
    let path = str_arg(a, 0)?;
    let key = str_arg(a, 1)?;
    vault_read(&VaultConfig::from_env(), &path, &key).map(string)
}

// ---------------------------------------------------------------- Consul

/// Consul settings (`CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, `CONSUL_HTTP_SSL`).
pub struct ConsulConfig {
    pub addr: String,
    pub token: Option<String>,
    /// `CONSUL_CACERT`, `CONSUL_HTTP_SSL_VERIFY=false`.
    pub tls: TlsOptions,
}

impl ConsulConfig {
    pub fn from_env() -> Self {
        let raw = env("CONSUL_HTTP_ADDR").unwrap_or_else(|| "127.0.0.1:8500".into());
        let addr = if raw.contains("://") {
            raw
        } else if env_true("CONSUL_HTTP_SSL") {
            format!("https://{raw}")
        } else {
            format!("http://{raw}")
        };
        ConsulConfig {
            addr,
            token: env("CONSUL_HTTP_TOKEN").or_else(|| {
                let path = env("CONSUL_HTTP_TOKEN_FILE")?;
                std::fs::read_to_string(path)
                    .ok()
                    .map(|t| t.trim().to_string())
            }),
            tls: TlsOptions {
                ca_file: env("CONSUL_CACERT").map(Into::into),
                skip_verify: env_false("CONSUL_HTTP_SSL_VERIFY"),
            },
        }
    }
}

fn escape_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn consul_read(cfg: &ConsulConfig, key: &str) -> Result<String, FuncError> {
    let url = format!(
        "{}/v1/kv/{}?raw",
        cfg.addr.trim_end_matches('/'),
        escape_path(key.trim_start_matches('/'))
    );
    let headers: Vec<(String, String)> = cfg
        .token
        .iter()
        .map(|t| ("X-Consul-Token".to_string(), t.clone()))
        .collect();
    let (status, body) = request("Consul", &cfg.tls, "GET", &url, &headers, None)?;
    match status {
        200..=299 if body.is_empty() => {
            Err(failed(format!("Consul: value is empty at path {key}")))
        }
        200..=299 => Ok(body),
        404 => Err(failed(format!(
            "Consul: key does not exist at the given path: {key}"
        ))),
        _ => Err(failed(format!(
            "Consul: error reading key {key} (HTTP {status}): {}",
            body.trim()
        ))),
    }
}

pub fn consul_key(_: &FuncCtx, a: &[Value]) -> R {
    consul_read(&ConsulConfig::from_env(), &str_arg(a, 0)?).map(string)
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

    #[test]
    fn unreachable_services_name_service_and_address() {
        let port = closed_port();
        let addr = format!("http://127.0.0.1:{port}");
        let cfg = VaultConfig {
            addr: addr.clone(),
            token: Some("t".into()),
            namespace: None,
            tls: TlsOptions::default(),
        };
        let e = vault_read(&cfg, "secret/data/x", "k")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Vault") && e.contains(&addr), "{e}");

        let cfg = ConsulConfig {
            addr: addr.clone(),
            token: None,
            tls: TlsOptions::default(),
        };
        let e = consul_read(&cfg, "app/key").unwrap_err().to_string();
        assert!(e.contains("Consul") && e.contains(&addr), "{e}");
        // AWS Secrets Manager's half of this test is in kiln-build
        // (aws::secrets_manager), where its client now lives.
    }

    #[test]
    fn env_reads_the_environment() {
        let c = super::super::tests::ctx();
        let path = std::env::var("PATH").unwrap_or_default();
        assert_eq!(
            super::super::call("env", &c, &[Value::String("PATH".into())]),
            Ok(Value::String(path))
        );
        assert_eq!(
            super::super::call(
                "env",
                &c,
                &[Value::String("KILN_SURELY_UNSET_VAR_42".into())]
            ),
            Ok(Value::String(String::new()))
        );
    }

    #[test]
    fn vault_requires_a_token() {
        let cfg = VaultConfig {
            addr: "http://127.0.0.1:1".into(),
            token: None,
            namespace: None,
            tls: TlsOptions::default(),
        };
        let e = vault_read(&cfg, "secret/x", "k").unwrap_err().to_string();
        assert!(e.contains("VAULT_TOKEN"), "{e}");
    }

    #[test]
    fn bad_ca_file_is_a_clear_error() {
        let cfg = VaultConfig {
            addr: "https://127.0.0.1:1".into(),
            token: Some("t".into()),
            namespace: None,
            tls: TlsOptions {
                ca_file: Some("/nonexistent/ca.pem".into()),
                skip_verify: false,
            },
        };
        let e = vault_read(&cfg, "secret/x", "k").unwrap_err().to_string();
        assert!(
            e.contains("Vault") && e.contains("/nonexistent/ca.pem"),
            "{e}"
        );
    }
}
