//! The SSH communicator, on `russh` (ring crypto backend) and
//! `russh-sftp`: commands through session channels, files through SFTP.
//!
//! A connection that drops (a reboot) is re-dialled on the next call, so
//! `expect_disconnect` and `start_retry_timeout` work.

pub mod config;
pub mod connect;
mod exec;
pub mod session;
pub mod transfer;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use russh_sftp::client::SftpSession;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Mutex, OnceCell};

pub use config::{Auth, Endpoint, HostKeyPolicy, SshConfig};
use session::{DialError, Session};

use kiln_sdk::communicator::{CommError, Communicator, ExitStatus, GeneratedData, OutputSink};
use kiln_sdk::{BuildError, CancelToken, Settings, Ui};

/// How long one connection attempt may take at most.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A live connection and its SFTP session (opened on first use).
struct Live {
    session: Session,
    sftp: OnceCell<Arc<SftpSession>>,
}

/// A connection to the build machine over SSH.
pub struct SshCommunicator {
    config: SshConfig,
    live: Mutex<Option<Arc<Live>>>,
}

impl std::fmt::Debug for SshCommunicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshCommunicator")
            .field("host", &self.config.target.host)
            .field("port", &self.config.target.port)
            .field("user", &self.config.target.auth.username)
            .finish()
    }
}

impl SshCommunicator {
    /// Connect, retrying until `ssh_timeout` like Packer's "Waiting for SSH
    /// to become available..." step; TCP failures are retried until the
    /// timeout, handshake/authentication failures `ssh_handshake_attempts`
    /// times. Cancelled through `cancel`.
    pub async fn connect(
        config: SshConfig,
        ui: &Ui,
        cancel: &CancelToken,
    ) -> Result<Self, BuildError> {
        ui.say("Waiting for SSH to become available...");
        let wait = wait_for_ssh(&config, cancel);
        let session = tokio::select! {
            r = wait => r?,
            _ = cancel.cancelled() => return Err(BuildError::Cancelled),
        };
        ui.say("Connected to SSH!");
        Ok(SshCommunicator {
            config,
            live: Mutex::new(Some(Arc::new(Live {
                session,
                sftp: OnceCell::new(),
            }))),
        })
    }

    /// The configuration this communicator connects with.
    pub fn config(&self) -> &SshConfig {
        &self.config
    }

    /// The current connection, re-dialled (once, no waiting) if it closed.
    async fn live(&self) -> Result<Arc<Live>, CommError> {
        let mut guard = self.live.lock().await;
        if let Some(live) = guard.as_ref() {
            if !live.session.is_closed() {
                return Ok(live.clone());
            }
        }
        *guard = None;
        tracing::debug!("ssh: reconnecting to {}", self.config.target.host);
        let session = session::dial(&self.config, ATTEMPT_TIMEOUT)
            .await
            .map_err(|e| CommError::Connect(format!("ssh: reconnecting: {e}")))?;
        let live = Arc::new(Live {
            session,
            sftp: OnceCell::new(),
        });
        *guard = Some(live.clone());
        Ok(live)
    }

    /// Forget the connection so the next call re-dials.
    async fn drop_live(&self, old: &Arc<Live>) {
        let mut guard = self.live.lock().await;
        if guard.as_ref().is_some_and(|l| Arc::ptr_eq(l, old)) {
            *guard = None;
        }
    }

    async fn sftp(&self) -> Result<Arc<SftpSession>, CommError> {
        let live = self.live().await?;
        match Self::start_sftp(&live).await {
            Ok(s) => Ok(s),
            Err(e) => {
                // The connection may have died since the last call (a
                // reboot): re-dial once.
                tracing::debug!("ssh: starting SFTP failed ({e}); reconnecting");
                self.drop_live(&live).await;
                let live = self.live().await?;
                Self::start_sftp(&live).await
            }
        }
    }

    async fn start_sftp(live: &Live) -> Result<Arc<SftpSession>, CommError> {
        live.sftp
            .get_or_try_init(|| async {
                let stream = live.session.sftp_stream().await.map_err(|e| {
                    CommError::Transfer(format!("starting the SFTP subsystem: {e}"))
                })?;
                SftpSession::new_with_config(stream, transfer::sftp_config())
                    .await
                    .map(Arc::new)
                    .map_err(|e| CommError::Transfer(format!("starting the SFTP subsystem: {e}")))
            })
            .await
            .cloned()
    }

    /// Map a transfer error to `Disconnected` when the connection is gone.
    async fn check_transfer<T>(&self, r: Result<T, CommError>) -> Result<T, CommError> {
        match r {
            Err(e) => {
                let guard = self.live.lock().await;
                let closed = guard.as_ref().is_none_or(|l| l.session.is_closed());
                drop(guard);
                if closed {
                    Err(CommError::Disconnected(e.to_string()))
                } else {
                    Err(e)
                }
            }
            ok => ok,
        }
    }
}

async fn wait_for_ssh(config: &SshConfig, cancel: &CancelToken) -> Result<Session, BuildError> {
    let deadline = Instant::now() + config.timeout;
    let mut handshake_failures = 0u32;
    let mut delay = Duration::from_millis(500);
    loop {
        if cancel.is_cancelled() {
            return Err(BuildError::Cancelled);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(BuildError::Step("Timeout waiting for SSH.".to_string()));
        }
        let attempt = tokio::time::timeout(left, session::dial(config, left.min(ATTEMPT_TIMEOUT)));
        match attempt.await {
            Err(_) => return Err(BuildError::Step("Timeout waiting for SSH.".to_string())),
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(DialError::Fatal(e))) => {
                return Err(BuildError::Step(format!("Error waiting for SSH: {e}")))
            }
            Ok(Err(DialError::Handshake(e))) => {
                handshake_failures += 1;
                tracing::debug!("[DEBUG] SSH handshake err: {e}");
                if handshake_failures >= config.handshake_attempts {
                    let auth = e.contains("unable to authenticate");
                    return Err(BuildError::Step(if auth {
                        format!("Error waiting for SSH: Packer experienced an authentication error when trying to connect via SSH. This can happen if your username/password are wrong. You may want to double-check your credentials as part of your debugging process. original error: {e}")
                    } else {
                        format!("Error waiting for SSH: {e}")
                    }));
                }
            }
            Ok(Err(DialError::Tcp(e))) => {
                tracing::debug!("[DEBUG] Error connecting to SSH: {e}");
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

#[async_trait]
impl Communicator for SshCommunicator {
    async fn run(&self, command: &str, output: OutputSink<'_>) -> Result<ExitStatus, CommError> {
        let live = self.live().await?;
        let channel = match live.session.channel().await {
            Ok(c) => c,
            Err(e) => {
                // The connection may have died since the last call: re-dial
                // once.
                tracing::debug!("ssh: opening a session failed ({e}); reconnecting");
                self.drop_live(&live).await;
                let live = self.live().await?;
                live.session
                    .channel()
                    .await
                    .map_err(|e| CommError::Disconnected(format!("opening a session: {e}")))?
            }
        };
        let status = exec::run(channel, command, &self.config, output).await?;
        if status.code.is_none() {
            self.drop_live(&live).await;
        }
        Ok(status)
    }

    async fn upload(
        &self,
        dst: &str,
        src: &mut (dyn AsyncRead + Send + Unpin),
        mode: Option<u32>,
    ) -> Result<u64, CommError> {
        let sftp = self.sftp().await?;
        let r = transfer::upload(&sftp, dst, src, mode).await;
        self.check_transfer(r).await
    }

    async fn upload_dir(&self, dst: &str, src: &Path, exclude: &[String]) -> Result<(), CommError> {
        let sftp = self.sftp().await?;
        let r = transfer::upload_dir(&sftp, dst, src, exclude).await;
        self.check_transfer(r).await
    }

    async fn download(
        &self,
        src: &str,
        dst: &mut (dyn AsyncWrite + Send + Unpin),
    ) -> Result<u64, CommError> {
        let sftp = self.sftp().await?;
        let r = transfer::download(&sftp, src, dst).await;
        self.check_transfer(r).await
    }

    async fn download_dir(
        &self,
        src: &str,
        dst: &Path,
        exclude: &[String],
    ) -> Result<(), CommError> {
        let sftp = self.sftp().await?;
        let r = transfer::download_dir(&sftp, src, dst, exclude).await;
        self.check_transfer(r).await
    }
}

/// Packer's "cleanup temp keys" step for builders that installed a
/// temporary key: with `ssh_clear_authorized_keys = true`, remove the
/// generated public key (`SSHPublicKey`) from the user's and root's
/// `authorized_keys`. Does nothing otherwise.
pub async fn clear_authorized_keys(
    comm: &dyn Communicator,
    settings: &Settings<'_>,
    generated: &GeneratedData,
    ui: &Ui,
) -> Result<(), BuildError> {
    if !settings.bool("ssh_clear_authorized_keys")?.unwrap_or(false) {
        return Ok(());
    }
    let Some(key) = generated
        .get("SSHPublicKey")
        .and_then(|k| k.split_whitespace().nth(1))
    else {
        return Ok(());
    };
    ui.say("Trying to remove ephemeral keys from authorized_keys files");
    // `,` delimits the sed address: base64 may contain `/`.
    let quiet = |_: kiln_sdk::OutputStream, _: &str| {};
    for cmd in [
        format!("sed -i.bak '\\,{key},d' ~/.ssh/authorized_keys; rm ~/.ssh/authorized_keys.bak"),
        format!("sudo sed -i.bak '\\,{key},d' /root/.ssh/authorized_keys; sudo rm /root/.ssh/authorized_keys.bak"),
    ] {
        match comm.run(&cmd, &quiet).await {
            Ok(s) if s.code == Some(0) => {}
            Ok(s) => tracing::debug!("removing the ephemeral key exited {:?}", s.code),
            Err(e) => {
                return Err(BuildError::Step(format!(
                    "Error removing ephemeral keys from authorized_keys: {e}"
                )))
            }
        }
    }
    Ok(())
}
