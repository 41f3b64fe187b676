//! The `Communicator` seam Packer defines: how provisioners reach the
//! machine a builder prepared (run a command, move files both ways).
//! Builders connect one (see `ssh`) and hand it to the provisioners through
//! [`crate::builder::ProvisionHook`]; `communicator = "none"` hands none.

pub mod docker;
pub mod ssh;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::run::{BuildError, CancelToken, Settings, Ui};

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
    Stdout,
    Stderr,
}

/// Receives a running command's output, one line at a time (without the
/// line terminator; a final partial line is delivered too).
pub type OutputSink<'a> = &'a (dyn Fn(OutputStream, &str) + Send + Sync);

/// How a remote command ended. `code` is `None` when the connection closed
/// before the command reported a status (a reboot: `expect_disconnect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: Option<u32>,
}

/// Values a builder generates for the provisioners: Packer's `build.*`
/// variables (`ID`, `Host`, `Port`, `User`, `Password`, `ConnType`,
/// `SSHPublicKey`, `SSHPrivateKey`, `PackerRunUUID`, `SourceAMI`, …).
pub type GeneratedData = BTreeMap<String, String>;

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

/// Connect the communicator a builder's configuration asks for
/// (`communicator`: `ssh` by default, or `none`) to the machine at
/// `default_host` (`ssh_host` overrides it). Prints Packer's "Using ssh
/// communicator to connect: HOST" / "Waiting for SSH to become
/// available..." / "Connected to SSH!" through `ui`, retries until
/// `ssh_timeout`, and stops early on `cancel`.
///
/// Returns `Ok(None)` for `communicator = "none"`; otherwise the
/// connection and the generated values (see [`connect_ssh`]).
pub async fn connect(
    component: &str,
    settings: &Settings<'_>,
    default_host: Option<&str>,
    ui: &Ui,
    cancel: &CancelToken,
) -> Result<Option<(Arc<dyn Communicator>, GeneratedData)>, BuildError> {
    let kind = settings
        .string("communicator")?
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "ssh".to_string());
    match kind.as_str() {
        "none" => return Ok(None),
        "ssh" => {}
        other => {
            return Err(BuildError::NotAvailable {
                kind: "communicator",
                type_name: other.to_string(),
                available: "ssh, none".to_string(),
            })
        }
    }
    let config = ssh::SshConfig::from_settings(settings, default_host)?;
    tracing::debug!("{component}: connecting with {config:?}");
    connect_ssh(config, ui, cancel).await.map(Some)
}

/// Connect over SSH with a configuration a builder adjusted (e.g. a
/// temporary key pair in `config.target.auth.private_key`). Generated
/// values, as Packer names them: `Host`, `Port`, `User`, `Password`,
/// `ConnType`, `SSHPublicKey` and `SSHPrivateKey` (the builder-generated
/// key, empty for a user's key file, as in Packer), plus kiln's
/// `SSHPrivateKeyFile` and `SSHAgentAuth` for provisioners that start
/// their own SSH clients (ansible). Secrets are registered with
/// `ui.add_secret` before anything is printed.
pub async fn connect_ssh(
    config: ssh::SshConfig,
    ui: &Ui,
    cancel: &CancelToken,
) -> Result<(Arc<dyn Communicator>, GeneratedData), BuildError> {
    let generated = ssh_generated(&config, ui)?;
    if let Some(pause) = config.pause_before_connecting {
        ui.say(format!(
            "Pausing {} before connecting...",
            ssh::config::go_duration(pause)
        ));
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = cancel.cancelled() => return Err(BuildError::Cancelled),
        }
    }
    ui.say(format!(
        "Using ssh communicator to connect: {}",
        config.target.host
    ));
    let comm = ssh::SshCommunicator::connect(config, ui, cancel).await?;
    Ok((Arc::new(comm), generated))
}

/// Packer's `build.*` values for an SSH connection.
fn ssh_generated(config: &ssh::SshConfig, ui: &Ui) -> Result<GeneratedData, BuildError> {
    let t = &config.target;
    if let Some(p) = &t.auth.password {
        ui.add_secret(p.clone());
    }
    let mut g = GeneratedData::new();
    g.insert("Host".into(), t.host.clone());
    g.insert("Port".into(), t.port.to_string());
    g.insert("User".into(), t.auth.username.clone());
    g.insert(
        "Password".into(),
        t.auth.password.clone().unwrap_or_default(),
    );
    g.insert("ConnType".into(), "ssh".into());
    let (mut public, mut private) = (String::new(), String::new());
    if let Some(text) = &t.auth.private_key {
        ui.add_secret(text.clone());
        ui.add_secret(text.trim_end().to_string());
        let key = russh::keys::decode_secret_key(text, None).map_err(|e| {
            BuildError::Config(format!("the generated SSH private key is invalid: {e}"))
        })?;
        public = key
            .public_key()
            .to_openssh()
            .map(|k| format!("{k}\n"))
            .unwrap_or_default();
        private = text.clone();
    }
    g.insert("SSHPublicKey".into(), public);
    g.insert("SSHPrivateKey".into(), private);
    g.insert(
        "SSHPrivateKeyFile".into(),
        t.auth
            .private_key_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    g.insert("SSHAgentAuth".into(), t.auth.agent.to_string());
    Ok(g)
}
