//! Why a build (or one of its steps) failed.

/// Why a build failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Step(String),
    #[error("The {kind} type \"{type_name}\" is not available in this version of kiln (available: {available})")]
    NotAvailable {
        kind: &'static str,
        type_name: String,
        available: String,
    },
    #[error("Build was cancelled.")]
    Cancelled,
}
