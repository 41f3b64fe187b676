//! One SSH connection: TCP (directly or through a bastion's
//! `direct-tcpip` channel), the handshake with the host-key policy, and
//! authentication by key file, agent or password.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::agent::client::AgentClient;
use russh::keys::agent::AgentIdentity;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{Channel, ChannelStream};
use tokio::io::{AsyncRead, AsyncWrite};

use super::config::{Auth, Endpoint, HostKeyPolicy, SshConfig};

/// Why one connection attempt failed; decides whether to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialError {
    /// TCP did not connect (the host is not up yet): retry until timeout.
    Tcp(String),
    /// The SSH handshake or authentication failed: counts towards
    /// `ssh_handshake_attempts`.
    Handshake(String),
    /// Retrying cannot help (a host key that is not trusted, an unreadable
    /// key file).
    Fatal(String),
}

impl std::fmt::Display for DialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DialError::Tcp(m) | DialError::Handshake(m) | DialError::Fatal(m) => f.write_str(m),
        }
    }
}

/// The russh event handler: host-key policy and agent forwarding.
pub struct Client {
    policy: HostKeyPolicy,
    host: String,
    port: u16,
    forward_agent: bool,
    /// Why the host key was refused, for the error message.
    rejected: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let path = match &self.policy {
            HostKeyPolicy::AcceptAny => return Ok(true),
            HostKeyPolicy::KnownHosts(path) => path.clone(),
        };
        let key: PublicKey = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(c) => PublicKey::from(c.public_key().clone()),
        };
        let fp = key.fingerprint(HashAlg::Sha256);
        let why =
            match russh::keys::check_known_hosts_path(&self.host, self.port, &key, &path) {
                Ok(true) => return Ok(true),
                Ok(false) => format!(
                    "the host key of {}:{} ({} {fp}) is not listed in ssh_known_hosts_file {}",
                    self.host,
                    self.port,
                    key.algorithm(),
                    path.display()
                ),
                Err(russh::keys::Error::KeyChanged { line }) => format!(
                    "the host key of {}:{} ({} {fp}) does not match line {line} of ssh_known_hosts_file {} (possible man-in-the-middle attack)",
                    self.host,
                    self.port,
                    key.algorithm(),
                    path.display()
                ),
                Err(e) => format!(
                    "could not read ssh_known_hosts_file {}: {e}",
                    path.display()
                ),
            };
        if let Ok(mut r) = self.rejected.lock() {
            *r = Some(why);
        }
        Ok(false)
    }

    async fn server_channel_open_agent_forward(
        &mut self,
        channel: Channel<client::Msg>,
        reply: client::ChannelOpenHandle,
        _session: &mut client::Session,
    ) -> Result<(), Self::Error> {
        let sock = match std::env::var_os("SSH_AUTH_SOCK") {
            Some(s) if self.forward_agent => s,
            _ => return Ok(()), // dropping `reply` rejects
        };
        reply.accept().await;
        tokio::spawn(async move {
            match tokio::net::UnixStream::connect(&sock).await {
                Ok(mut agent) => {
                    let mut stream = channel.into_stream();
                    let _ = tokio::io::copy_bidirectional(&mut stream, &mut agent).await;
                }
                Err(e) => tracing::debug!("agent forwarding: cannot reach SSH_AUTH_SOCK: {e}"),
            }
        });
        Ok(())
    }
}

/// An authenticated connection (and the bastion it goes through, kept
/// alive as long as it is).
pub struct Session {
    /// The russh connection to the target.
    pub handle: Handle<Client>,
    _bastion: Option<Handle<Client>>,
}

impl Session {
    /// Whether the connection has closed (a reboot, a dropped link).
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Open a session channel.
    pub async fn channel(&self) -> Result<Channel<client::Msg>, russh::Error> {
        self.handle.channel_open_session().await
    }

    /// Open an SFTP subsystem channel as a byte stream.
    pub async fn sftp_stream(&self) -> Result<ChannelStream<client::Msg>, russh::Error> {
        let ch = self.channel().await?;
        ch.request_subsystem(true, "sftp").await?;
        Ok(ch.into_stream())
    }
}

fn russh_config(cfg: &SshConfig) -> Arc<client::Config> {
    Arc::new(client::Config {
        keepalive_interval: cfg.keep_alive,
        keepalive_max: 3,
        inactivity_timeout: cfg.read_write_timeout,
        nodelay: true,
        // Larger windows keep bulk transfers from stalling on
        // acknowledgements.
        window_size: 8 * 1024 * 1024,
        preferred: russh::Preferred {
            cipher: std::borrow::Cow::Borrowed(CIPHERS),
            ..russh::Preferred::DEFAULT
        },
        ..Default::default()
    })
}

/// AES-GCM first: ring runs it on the CPU's AES instructions, several
/// times faster than ChaCha20-Poly1305 for bulk transfers.
const CIPHERS: &[russh::cipher::Name] = &[
    russh::cipher::AES_256_GCM,
    russh::cipher::AES_128_GCM,
    russh::cipher::CHACHA20_POLY1305,
    russh::cipher::AES_256_CTR,
    russh::cipher::AES_192_CTR,
    russh::cipher::AES_128_CTR,
];

/// One attempt to connect and authenticate to `cfg.target`, through the
/// bastion if there is one. `per_attempt` bounds TCP and handshake.
pub async fn dial(cfg: &SshConfig, per_attempt: Duration) -> Result<Session, DialError> {
    let config = russh_config(cfg);
    let bastion = match &cfg.bastion {
        None => None,
        Some(b) => {
            let tcp = tcp(b, per_attempt).await?;
            Some(handshake(cfg, &config, b, tcp, per_attempt, "bastion ").await?)
        }
    };
    let handle = match &bastion {
        None => {
            let tcp = tcp(&cfg.target, per_attempt).await?;
            handshake(cfg, &config, &cfg.target, tcp, per_attempt, "").await?
        }
        Some(b) => {
            let ch = tokio::time::timeout(
                per_attempt,
                b.channel_open_direct_tcpip(
                    cfg.target.host.clone(),
                    u32::from(cfg.target.port),
                    "127.0.0.1",
                    0,
                ),
            )
            .await
            .map_err(|_| DialError::Tcp("timed out opening a tunnel through the bastion".into()))?
            .map_err(|e| {
                DialError::Tcp(format!(
                    "bastion could not connect to {}:{}: {e}",
                    cfg.target.host, cfg.target.port
                ))
            })?;
            handshake(cfg, &config, &cfg.target, ch.into_stream(), per_attempt, "").await?
        }
    };
    Ok(Session {
        handle,
        _bastion: bastion,
    })
}

async fn tcp(ep: &Endpoint, per_attempt: Duration) -> Result<tokio::net::TcpStream, DialError> {
    let addr = (ep.host.as_str(), ep.port);
    match tokio::time::timeout(per_attempt, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) => Err(DialError::Tcp(format!(
            "dial tcp {}:{}: {e}",
            ep.host, ep.port
        ))),
        Err(_) => Err(DialError::Tcp(format!(
            "dial tcp {}:{}: i/o timeout",
            ep.host, ep.port
        ))),
    }
}

async fn handshake<S>(
    cfg: &SshConfig,
    config: &Arc<client::Config>,
    ep: &Endpoint,
    stream: S,
    per_attempt: Duration,
    what: &str,
) -> Result<Handle<Client>, DialError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let rejected = Arc::new(Mutex::new(None));
    let handler = Client {
        policy: cfg.host_keys.clone(),
        host: ep.host.clone(),
        port: ep.port,
        forward_agent: cfg.agent_forwarding,
        rejected: rejected.clone(),
    };
    let connected = tokio::time::timeout(
        per_attempt,
        client::connect_stream(config.clone(), stream, handler),
    )
    .await
    .map_err(|_| DialError::Handshake(format!("{what}ssh: handshake timed out")))?;
    let mut handle = match connected {
        Ok(h) => h,
        Err(e) => {
            if let Some(why) = rejected.lock().ok().and_then(|mut r| r.take()) {
                return Err(DialError::Fatal(format!(
                    "{what}ssh: handshake failed: {why}"
                )));
            }
            return Err(DialError::Handshake(format!(
                "{what}ssh: handshake failed: {e}"
            )));
        }
    };
    tokio::time::timeout(per_attempt, authenticate(&mut handle, &ep.auth))
        .await
        .map_err(|_| DialError::Handshake(format!("{what}ssh: authentication timed out")))?
        .map_err(|e| match e {
            DialError::Handshake(m) => DialError::Handshake(format!("{what}{m}")),
            DialError::Fatal(m) => DialError::Fatal(format!("{what}{m}")),
            other => other,
        })?;
    Ok(handle)
}

/// Try key file, agent and password in turn.
async fn authenticate(handle: &mut Handle<Client>, auth: &Auth) -> Result<(), DialError> {
    let user = auth.username.clone();
    let proto = |e: russh::Error| DialError::Handshake(format!("ssh: handshake failed: {e}"));
    let mut attempted = vec!["none"];
    let mut keys = Vec::new();
    if let Some(text) = &auth.private_key {
        keys.push(
            russh::keys::decode_secret_key(text, None).map_err(|e| {
                DialError::Fatal(format!("the generated private key is invalid: {e}"))
            })?,
        );
    }
    if let Some(path) = &auth.private_key_file {
        keys.push(russh::keys::load_secret_key(path, None).map_err(|e| {
            DialError::Fatal(format!(
                "ssh_private_key_file is invalid: {}: {e}",
                path.display()
            ))
        })?);
    }
    for key in keys {
        let hash = rsa_hash(handle, key.algorithm().is_rsa()).await?;
        if !attempted.contains(&"publickey") {
            attempted.push("publickey");
        }
        let r = handle
            .authenticate_publickey(
                user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(proto)?;
        if r.success() {
            return Ok(());
        }
    }
    if auth.agent {
        let mut agent = AgentClient::connect_env().await.map_err(|e| {
            DialError::Fatal(format!(
                "ssh_agent_auth: cannot reach the SSH agent (SSH_AUTH_SOCK): {e}"
            ))
        })?;
        let ids = agent.request_identities().await.map_err(|e| {
            DialError::Handshake(format!("ssh: listing the agent's keys failed: {e}"))
        })?;
        attempted.push("agent");
        for id in ids {
            let AgentIdentity::PublicKey { key, .. } = id else {
                continue;
            };
            let hash = rsa_hash(handle, key.algorithm().is_rsa()).await?;
            match handle
                .authenticate_publickey_with(user.clone(), key, hash, &mut agent)
                .await
            {
                Ok(r) if r.success() => return Ok(()),
                Ok(_) => {}
                Err(e) => tracing::debug!("agent signing failed: {e}"),
            }
        }
    }
    if let Some(password) = &auth.password {
        attempted.push("password");
        let r = handle
            .authenticate_password(user.clone(), password.clone())
            .await
            .map_err(proto)?;
        if r.success() {
            return Ok(());
        }
    }
    Err(DialError::Handshake(format!(
        "ssh: handshake failed: ssh: unable to authenticate as {user:?}, attempted methods [{}], no supported methods remain",
        attempted.join(" ")
    )))
}

async fn rsa_hash(handle: &Handle<Client>, rsa: bool) -> Result<Option<HashAlg>, DialError> {
    if !rsa {
        return Ok(None);
    }
    let best = handle
        .best_supported_rsa_hash()
        .await
        .map_err(|e| DialError::Handshake(format!("ssh: handshake failed: {e}")))?;
    Ok(best.flatten().or(Some(HashAlg::Sha256)))
}
