//! How a GitHub call failed ([`GhError`]) and which failures are worth
//! retrying the whole job for.

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

    /// A refusal GitHub explains as a rate limit (by its message).
    pub fn is_rate_limit(&self) -> bool {
        matches!(self, GhError::Status { message, .. } if message.to_ascii_lowercase().contains("rate limit"))
    }
}
