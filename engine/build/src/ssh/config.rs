//! The SSH communicator's settings, read from Packer's `ssh_*` options
//! (`packer-plugin-sdk` `communicator.SSH`), with Packer's defaults.

use std::path::PathBuf;
use std::time::Duration;

use kiln_lang::duration;
use kiln_sdk::{BuildError, Settings};

/// How to prove who we are. Packer allows exactly one per host; kiln tries
/// the ones given in this order: key file, agent, password.
#[derive(Clone, Default)]
pub struct Auth {
    /// `ssh_username`.
    pub username: String,
    /// `ssh_password`.
    pub password: Option<String>,
    /// `ssh_private_key_file`.
    pub private_key_file: Option<PathBuf>,
    /// A private key in OpenSSH/PEM text that a builder generated (a
    /// temporary key pair); Packer exposes it as `build.SSHPrivateKey`.
    pub private_key: Option<String>,
    /// Use the agent at `SSH_AUTH_SOCK`.
    pub agent: bool,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<sensitive>"))
            .field("private_key_file", &self.private_key_file)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<sensitive>"),
            )
            .field("agent", &self.agent)
            .finish()
    }
}

impl Auth {
    /// Names of the configured methods, for error messages.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.private_key_file.is_some() || self.private_key.is_some() {
            m.push("publickey");
        }
        if self.agent {
            m.push("agent");
        }
        if self.password.is_some() {
            m.push("password");
        }
        m
    }
}

/// A host to reach: address, port and credentials.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Credentials for this host.
    pub auth: Auth,
}

/// Which server host keys to trust. Packer accepts any host key; kiln adds
/// `ssh_known_hosts_file` to pin them (OpenSSH `known_hosts` format,
/// hashed names included; the bastion is checked against the same file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Accept any host key (Packer's behaviour; build machines are new).
    #[default]
    AcceptAny,
    /// The host key must be listed for `host`/`[host]:port` in this file.
    KnownHosts(PathBuf),
}

/// Everything the SSH communicator needs to connect.
#[derive(Debug, Clone)]
pub struct SshConfig {
    /// The build machine (`ssh_host`, `ssh_port`, `ssh_username`, …).
    pub target: Endpoint,
    /// The jump host (`ssh_bastion_*`), if any.
    pub bastion: Option<Endpoint>,
    /// Give up connecting after this long (`ssh_timeout`, default 5m).
    pub timeout: Duration,
    /// Handshake (authentication) attempts once TCP connects
    /// (`ssh_handshake_attempts`, default 10).
    pub handshake_attempts: u32,
    /// Keep-alive interval (`ssh_keep_alive_interval`, default 5s;
    /// negative disables).
    pub keep_alive: Option<Duration>,
    /// Close a connection that stays silent this long
    /// (`ssh_read_write_timeout`, default off).
    pub read_write_timeout: Option<Duration>,
    /// Request a PTY for commands (`ssh_pty`).
    pub pty: bool,
    /// Forward the local agent (`SSH_AUTH_SOCK`) unless
    /// `ssh_disable_agent_forwarding`.
    pub agent_forwarding: bool,
    /// Which host keys to trust.
    pub host_keys: HostKeyPolicy,
    /// Remove `~/.ssh/authorized_keys` entries of the temporary key at the
    /// end (`ssh_clear_authorized_keys`).
    pub clear_authorized_keys: bool,
    /// Wait this long before the first attempt (`pause_before_connecting`).
    pub pause_before_connecting: Option<Duration>,
}

impl SshConfig {
    /// Read the `ssh_*` settings. `default_host` is the address a builder
    /// created (`ssh_host` overrides it). Relative key files are relative
    /// to the working directory, as in Packer.
    pub fn from_settings(s: &Settings<'_>, default_host: Option<&str>) -> Result<Self, BuildError> {
        let host = match s.string("ssh_host")?.filter(|h| !h.is_empty()) {
            Some(h) => h,
            None => default_host.map(str::to_string).ok_or_else(|| {
                BuildError::config(format!(
                    "{}: the argument \"ssh_host\" is required (a Host must be specified, please reference your communicator documentation)",
                    s.component
                ))
            })?,
        };
        let username = s.required_string("ssh_username")?;
        let target = Endpoint {
            host,
            port: port(s, "ssh_port")?.unwrap_or(22),
            auth: Auth {
                username: username.clone(),
                password: s.string("ssh_password")?.filter(|p| !p.is_empty()),
                private_key_file: key_file(s, "ssh_private_key_file")?,
                private_key: None,
                agent: s.bool("ssh_agent_auth")?.unwrap_or(false),
            },
        };
        let bastion = match s.string("ssh_bastion_host")?.filter(|h| !h.is_empty()) {
            None => None,
            Some(host) => Some(Endpoint {
                host,
                port: port(s, "ssh_bastion_port")?.unwrap_or(22),
                auth: Auth {
                    username: s
                        .string("ssh_bastion_username")?
                        .filter(|u| !u.is_empty())
                        .unwrap_or(username),
                    password: s.string("ssh_bastion_password")?.filter(|p| !p.is_empty()),
                    private_key_file: key_file(s, "ssh_bastion_private_key_file")?,
                    private_key: None,
                    agent: s.bool("ssh_bastion_agent_auth")?.unwrap_or(false),
                },
            }),
        };
        let timeout = match s.string("ssh_timeout")? {
            Some(t) => Some(dur(s, "ssh_timeout", &t)?),
            None => match s.string("ssh_wait_timeout")? {
                Some(t) => Some(dur(s, "ssh_wait_timeout", &t)?),
                None => None,
            },
        }
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(300));
        let handshake_attempts = match s.string("ssh_handshake_attempts")? {
            None => 10,
            Some(n) => n
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid(s, "ssh_handshake_attempts", "a positive number"))?,
        };
        let keep_alive = match s.string("ssh_keep_alive_interval")? {
            None => Some(Duration::from_secs(5)),
            Some(t) if t.starts_with('-') => None,
            Some(t) => Some(dur(s, "ssh_keep_alive_interval", &t)?).filter(|d| !d.is_zero()),
        };
        let read_write_timeout = match s.string("ssh_read_write_timeout")? {
            None => None,
            Some(t) => Some(dur(s, "ssh_read_write_timeout", &t)?).filter(|d| !d.is_zero()),
        };
        let host_keys = match key_path(s, "ssh_known_hosts_file")? {
            Some(p) => HostKeyPolicy::KnownHosts(p),
            None => HostKeyPolicy::AcceptAny,
        };
        Ok(SshConfig {
            target,
            bastion,
            timeout,
            handshake_attempts,
            keep_alive,
            read_write_timeout,
            pty: s.bool("ssh_pty")?.unwrap_or(false),
            agent_forwarding: !s.bool("ssh_disable_agent_forwarding")?.unwrap_or(false),
            host_keys,
            clear_authorized_keys: s.bool("ssh_clear_authorized_keys")?.unwrap_or(false),
            pause_before_connecting: match s.string("pause_before_connecting")? {
                None => None,
                Some(t) => Some(dur(s, "pause_before_connecting", &t)?).filter(|d| !d.is_zero()),
            },
        })
    }
}

fn invalid(s: &Settings<'_>, name: &str, what: &str) -> BuildError {
    BuildError::config(format!(
        "{}: invalid value for {name:?}: {what} is required",
        s.component
    ))
}

fn port(s: &Settings<'_>, name: &str) -> Result<Option<u16>, BuildError> {
    match s.string(name)? {
        None => Ok(None),
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| invalid(s, name, "a port number (1-65535)")),
    }
}

fn dur(s: &Settings<'_>, name: &str, value: &str) -> Result<Duration, BuildError> {
    duration::parse_duration(value).map_err(|e| {
        BuildError::config(format!("{}: invalid value for {name:?}: {e}", s.component))
    })
}

/// A private key file that must exist and parse (Packer checks it at
/// prepare time: "ssh_private_key_file is invalid").
fn key_file(s: &Settings<'_>, name: &str) -> Result<Option<PathBuf>, BuildError> {
    let Some(path) = key_path(s, name)? else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        BuildError::config(format!(
            "{}: {name} is invalid: {}: {e}",
            s.component,
            path.display()
        ))
    })?;
    russh::keys::decode_secret_key(&text, None).map_err(|e| {
        BuildError::config(format!(
            "{}: {name} is invalid: {}: {e}",
            s.component,
            path.display()
        ))
    })?;
    Ok(Some(path))
}

/// A key or known_hosts path, `~/` expanded.
fn key_path(s: &Settings<'_>, name: &str) -> Result<Option<PathBuf>, BuildError> {
    Ok(s.string(name)?.filter(|p| !p.is_empty()).map(|p| {
        match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => PathBuf::from(p),
        }
    }))
}

/// Go's `time.Duration.String()` for the durations Packer prints
/// ("5s", "1m30s", "1h0m0s", "250ms").
pub fn go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.subsec_millis());
    }
    let frac = d.subsec_millis();
    let s = if frac == 0 {
        format!("{}s", secs % 60)
    } else {
        let frac = format!("{frac:03}");
        format!("{}.{}s", secs % 60, frac.trim_end_matches('0'))
    };
    match (secs / 3600, (secs % 3600) / 60) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        assert_eq!(go_duration(Duration::from_secs(5)), "5s");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(go_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
    }
}
