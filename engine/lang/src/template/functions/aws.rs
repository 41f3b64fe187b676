//! AWS Secrets Manager: `aws_secretsmanager(name, key)` and
//! `aws_secretsmanager_raw(name)`. The secret is fetched through the
//! evaluation's [`AwsSecrets`](crate::aws_secrets::AwsSecrets) client
//! (kiln-build's, on its AWS credential chain); this module only selects
//! keys from the secret's text.

use super::helpers::{failed, str_arg, string, R};
use super::secrets::json_field_text;
use super::{FuncCtx, FuncError};
use crate::template::Value;

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

/// The secret's text from the evaluation's client; without one, an
/// error naming the function.
fn fetch(ctx: &FuncCtx, function: &str, secret_id: &str) -> Result<String, FuncError> {
    let Some(client) = ctx.aws_secrets else {
        return Err(failed(format!(
            "{function} cannot reach AWS Secrets Manager here: no AWS client was given to template evaluation (the kiln CLI provides one)"
        )));
    };
    client
        .secret_string(secret_id)
        .map_err(|e| failed(e.to_string()))
}

/// `aws_secretsmanager(name, key)`: the secret, or one key of a JSON
/// secret.
pub fn aws_secretsmanager(ctx: &FuncCtx, a: &[Value]) -> R {
    let name = str_arg(a, 0)?;
    let key = if a[1].is_null() {
        String::new()
    } else {
        str_arg(a, 1)?.into_owned()
    };
    let secret = fetch(ctx, "aws_secretsmanager", &name)?;
    select_secret_key(&secret, &key).map(string)
}

/// `aws_secretsmanager_raw(name)`: the secret's whole text.
pub fn aws_secretsmanager_raw(ctx: &FuncCtx, a: &[Value]) -> R {
    let name = str_arg(a, 0)?;
    fetch(ctx, "aws_secretsmanager_raw", &name).map(string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_secrets::{AwsSecrets, AwsSecretsError};

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

    /// A client with one secret.
    #[derive(Debug)]
    struct OneSecret;

    impl AwsSecrets for OneSecret {
        fn secret_string(&self, secret_id: &str) -> Result<String, AwsSecretsError> {
            match secret_id {
                "app" => Ok("{\"user\":\"u\",\"pass\":\"p\"}".into()),
                other => Err(format!("AWS Secrets Manager: no secret {other:?}").into()),
            }
        }
    }

    fn ctx_with(client: Option<&dyn AwsSecrets>) -> FuncCtx<'_> {
        FuncCtx {
            aws_secrets: client,
            ..super::super::tests::ctx()
        }
    }

    #[test]
    fn functions_fetch_through_the_client() {
        let s = |v: &str| Value::String(v.to_string());
        let c = ctx_with(Some(&OneSecret));
        assert_eq!(aws_secretsmanager(&c, &[s("app"), s("pass")]), Ok(s("p")));
        assert_eq!(
            aws_secretsmanager_raw(&c, &[s("app")]),
            Ok(s("{\"user\":\"u\",\"pass\":\"p\"}"))
        );
        let e = aws_secretsmanager_raw(&c, &[s("nope")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no secret \"nope\""), "{e}");
    }

    #[test]
    fn without_a_client_the_error_names_the_function() {
        let s = |v: &str| Value::String(v.to_string());
        let c = ctx_with(None);
        let e = aws_secretsmanager(&c, &[s("app"), s("pass")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("aws_secretsmanager cannot reach"), "{e}");
        let e = aws_secretsmanager_raw(&c, &[s("app")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("aws_secretsmanager_raw cannot reach"), "{e}");
    }
}
