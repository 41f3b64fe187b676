//! The AWS Secrets Manager seam: how the build layer gives the
//! `aws_secretsmanager(name, key)` and `aws_secretsmanager_raw(name)`
//! functions a client.
//!
//! The language layer does not talk to AWS (it has no credential chain
//! and no AWS SDK); it selects keys from the secret's text. Fetching the
//! secret goes through an [`AwsSecrets`] implementation the caller passes
//! in [`crate::template::LoadOptions::aws_secrets`] (kiln-build provides
//! one on its AWS credential chain). Without one, the functions fail with
//! an error naming them; inside a sandbox
//! ([`crate::template::LoadOptions::sandbox`]) they are unknown anyway.

use std::fmt::Debug;

/// Why fetching a secret failed (the message becomes the function call's
/// error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AwsSecretsError(pub String);

impl From<String> for AwsSecretsError {
    fn from(s: String) -> Self {
        AwsSecretsError(s)
    }
}

impl From<&str> for AwsSecretsError {
    fn from(s: &str) -> Self {
        AwsSecretsError(s.to_string())
    }
}

/// A Secrets Manager client. Object-safe; evaluation is synchronous, so
/// an implementation that needs async I/O runs it on a runtime of its
/// own.
pub trait AwsSecrets: Debug + Send + Sync {
    /// `GetSecretValue` for `secret_id` (a name or ARN): the secret's
    /// string (a binary secret as text).
    fn secret_string(&self, secret_id: &str) -> Result<String, AwsSecretsError>;
}
