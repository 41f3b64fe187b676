//! The `Communicator` seam Packer defines: how provisioners reach the
//! machine a builder prepared (run a command, move files both ways).
//! Builders connect one (kiln-build's `ssh`) and hand it to the provisioners through
//! [`crate::builder::ProvisionHook`]; `communicator = "none"` hands none.

use std::fmt::Debug;
use std::path::Path;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

/// Why a communicator operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommError {
    /// Could not reach or authenticate to the machine.
    #[error("{0}")]
    Connect(String),
    /// The connection dropped while an operation was under way.
    #[error("connection lost: {0}")]
    Disconnected(String),
    /// A file transfer failed (names the path).
    #[error("{0}")]
    Transfer(String),
    /// Anything else the remote side refused.
    #[error("{0}")]
    Remote(String),
}

/// Which stream a line of command output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// The command's standard output.
    Stdout,
    /// The command's standard error.
    Stderr,
}

/// Receives a running command's output, one line at a time (without the
/// line terminator; a final partial line is delivered too).
pub type OutputSink<'a> = &'a (dyn Fn(OutputStream, &str) + Send + Sync);

/// How a remote command ended. `code` is `None` when the connection closed
/// before the command reported a status (a reboot: `expect_disconnect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// The exit code, if the command reported one.
    pub code: Option<u32>,
}

pub use kiln_lang::generated::GeneratedData;

/// A connection to the build machine. Object-safe; every method may be
/// cancelled by dropping its future.
#[async_trait]
pub trait Communicator: Debug + Send + Sync {
    /// Run `command` through the remote shell, streaming its output to
    /// `output`. A non-zero exit is not an error: callers check the status.
    async fn run(&self, command: &str, output: OutputSink<'_>) -> Result<ExitStatus, CommError>;

    /// Stream `src` to the remote file `dst` (created or truncated), with
    /// `mode` as its permissions when given. Returns the bytes written.
    /// Memory use must not depend on the size of `src`.
    async fn upload(
        &self,
        dst: &str,
        src: &mut (dyn AsyncRead + Send + Unpin),
        mode: Option<u32>,
    ) -> Result<u64, CommError>;

    /// Upload a local directory with Packer's trailing-slash rule: `src`
    /// ending in `/` copies its contents into `dst`; otherwise the
    /// directory itself is created inside `dst`. `exclude` lists relative
    /// paths to skip.
    async fn upload_dir(&self, dst: &str, src: &Path, exclude: &[String]) -> Result<(), CommError>;

    /// Stream the remote file `src` into `dst`. Returns the bytes read.
    async fn download(
        &self,
        src: &str,
        dst: &mut (dyn AsyncWrite + Send + Unpin),
    ) -> Result<u64, CommError>;

    /// Download a remote directory (same trailing-slash rule as
    /// `upload_dir`, applied to `src`).
    async fn download_dir(
        &self,
        src: &str,
        dst: &Path,
        exclude: &[String],
    ) -> Result<(), CommError>;
}
