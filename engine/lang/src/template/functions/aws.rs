//! AWS Secrets Manager: `aws_secretsmanager(name, key)` and
//! `aws_secretsmanager_raw(name)` call `GetSecretValue` (JSON 1.1
//! protocol) signed with SigV4, with credentials and region read the way
//! the AWS CLI does (environment, then the shared config files).

use super::helpers::{failed, str_arg, string, R};
use super::secrets::{env, home, json_field_text, request, TlsOptions};
use super::sigv4::{sigv4_authorization, SigV4Request};
use super::{FuncCtx, FuncError};
use crate::template::Value;

/// AWS credentials.
pub struct AwsCredentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

/// Read an INI section's key from an AWS config/credentials file.
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            in_section = line[1..line.len() - 1].trim() == section;
        } else if in_section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

fn aws_profile() -> String {
    env("AWS_PROFILE").unwrap_or_else(|| "default".into())
}

fn aws_credentials() -> Result<AwsCredentials, FuncError> {
    if let (Some(a), Some(s)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        return Ok(AwsCredentials {
            access_key: a,
            secret_key: s,
            session_token: env("AWS_SESSION_TOKEN"),
        });
    }
    let path = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/credentials")));
    let text = path
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let profile = aws_profile();
    match (
        ini_value(&text, &profile, "aws_access_key_id"),
        ini_value(&text, &profile, "aws_secret_access_key"),
    ) {
        (Some(a), Some(s)) => Ok(AwsCredentials {
            access_key: a,
            secret_key: s,
            session_token: ini_value(&text, &profile, "aws_session_token"),
        }),
        _ => Err(failed("AWS Secrets Manager: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use the shared credentials file)")),
    }
}

fn aws_region() -> Result<String, FuncError> {
    if let Some(r) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) {
        return Ok(r);
    }
    let path = env("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws/config")));
    let text = path
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let profile = aws_profile();
    let section = if profile == "default" {
        profile
    } else {
        format!("profile {profile}")
    };
    ini_value(&text, &section, "region").ok_or_else(|| {
        failed(
            "AWS Secrets Manager: no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)",
        )
    })
}

/// Where and how to call Secrets Manager.
pub struct AwsConfig {
    pub endpoint: String,
    pub region: String,
    pub credentials: AwsCredentials,
    /// `AWS_CA_BUNDLE`.
    pub tls: TlsOptions,
}

impl AwsConfig {
    pub fn from_env() -> Result<Self, FuncError> {
        let region = aws_region()?;
        let endpoint = env("AWS_ENDPOINT_URL_SECRETS_MANAGER")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"));
        Ok(AwsConfig {
            endpoint,
            region,
            credentials: aws_credentials()?,
            tls: TlsOptions {
                ca_file: env("AWS_CA_BUNDLE").map(Into::into),
                skip_verify: false,
            },
        })
    }
}

/// `GetSecretValue`: the secret's `SecretString`.
pub fn aws_get_secret(
    cfg: &AwsConfig,
    secret_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, FuncError> {
    let endpoint = cfg.endpoint.trim_end_matches('/');
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
    if let Some(t) = &cfg.credentials.session_token {
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
            region: &cfg.region,
            service: "secretsmanager",
            amz_date: &amz_date,
        },
        &cfg.credentials.access_key,
        &cfg.credentials.secret_key,
    );
    headers.push(("Authorization".to_string(), auth));
    headers.retain(|(k, _)| k != "Host");
    let (status, text) = request(
        "AWS Secrets Manager",
        &cfg.tls,
        "POST",
        &url,
        &headers,
        Some(&body),
    )?;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if !(200..300).contains(&status) {
        let kind = json.get("__type").map(json_field_text).unwrap_or_default();
        let msg = json
            .get("message")
            .or_else(|| json.get("Message"))
            .map(json_field_text)
            .unwrap_or_else(|| text.trim().to_string());
        return Err(failed(format!(
            "AWS Secrets Manager: error getting secret {secret_id:?} (HTTP {status}) {kind}: {msg}"
        )));
    }
    match (json.get("SecretString"), json.get("SecretBinary")) {
        (Some(serde_json::Value::String(s)), _) => Ok(s.clone()),
        (_, Some(serde_json::Value::String(b))) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| failed(format!("AWS Secrets Manager: invalid SecretBinary: {e}")))?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => Err(failed(format!(
            "AWS Secrets Manager: secret {secret_id:?} has no value"
        ))),
    }
}

/// Packer's key selection for `aws_secretsmanager`: a secret that is not
/// JSON is returned as is; for a JSON object an empty key selects its only
/// value, otherwise the value under `key`.
pub fn select_secret_key(secret: &str, key: &str) -> Result<String, FuncError> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(secret) else {
        return Ok(secret.to_string());
    };
    let serde_json::Value::Object(m) = json else {
        return Err(failed(
            "AWS Secrets Manager: the secret is JSON but not an object of key/value pairs",
        ));
    };
    if key.is_empty() {
        if m.len() > 1 {
            return Err(failed(
                "AWS Secrets Manager: the secret has multiple values and no key was set",
            ));
        }
        return Ok(m.values().next().map(json_field_text).unwrap_or_default());
    }
    m.get(key).map(json_field_text).ok_or_else(|| {
        failed(format!(
            "AWS Secrets Manager: no secret found for key {key:?}"
        ))
    })
}

pub fn aws_secretsmanager(_: &FuncCtx, a: &[Value]) -> R {
    let name = str_arg(a, 0)?;
    let key = if a[1].is_null() {
        String::new()
    } else {
        str_arg(a, 1)?.into_owned()
    };
    let secret = aws_get_secret(&AwsConfig::from_env()?, &name, chrono::Utc::now())?;
    select_secret_key(&secret, &key).map(string)
}

pub fn aws_secretsmanager_raw(_: &FuncCtx, a: &[Value]) -> R {
    let name = str_arg(a, 0)?;
    aws_get_secret(&AwsConfig::from_env()?, &name, chrono::Utc::now()).map(string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_selection() {
        assert_eq!(
            select_secret_key("{\"a\":\"1\",\"b\":2}", "b"),
            Ok("2".into())
        );
        assert_eq!(select_secret_key("{\"only\":\"v\"}", ""), Ok("v".into()));
        assert_eq!(select_secret_key("plain", ""), Ok("plain".into()));
        assert!(select_secret_key("{\"a\":\"1\",\"b\":2}", "").is_err());
        assert!(select_secret_key("{\"a\":\"1\"}", "z").is_err());
        assert_eq!(select_secret_key("plain", "k"), Ok("plain".into()));
        assert!(select_secret_key("[1]", "").is_err());
    }

    #[test]
    fn ini_parsing() {
        let text = "[default]\naws_access_key_id = A\n[profile dev]\nregion = eu-west-1\n";
        assert_eq!(
            ini_value(text, "default", "aws_access_key_id"),
            Some("A".into())
        );
        assert_eq!(
            ini_value(text, "profile dev", "region"),
            Some("eu-west-1".into())
        );
        assert_eq!(ini_value(text, "default", "region"), None);
    }
}
