//! Per-repository API tokens for the registry's write endpoints. A token
//! is `kiln_` + 32 random bytes in hex, shown once when created; only its
//! SHA-256 is stored (the token has 256 bits of entropy, so a fast hash is
//! enough). Tokens are never logged.

use sha2::Digest;

use super::manifest::{check_repo, ManifestIntakeError};
use super::store::{Registry, RegistryError};

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
}

/// Create a token for `repo`; returns the token (the only time it exists
/// in clear).
pub async fn create(registry: &Registry, repo: &str) -> Result<String, TokenError> {
    check_repo(repo)?;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let token = format!("kiln_{}", hex::encode(b));
    registry.add_token(repo, &hash(&token)).await?;
    Ok(token)
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Repo(#[from] ManifestIntakeError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
