//! Connecting the communicator a builder's configuration asks for
//! (`communicator = "ssh"` by default, or `"none"`), with Packer's
//! messages and generated `build.*` values.

use std::sync::Arc;

use kiln_sdk::{BuildError, CancelToken, Communicator, GeneratedData, Settings, Ui};

use super::{config, SshCommunicator, SshConfig};

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
    let config = SshConfig::from_settings(settings, default_host)?;
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
    config: SshConfig,
    ui: &Ui,
    cancel: &CancelToken,
) -> Result<(Arc<dyn Communicator>, GeneratedData), BuildError> {
    let generated = ssh_generated(&config, ui)?;
    if let Some(pause) = config.pause_before_connecting {
        ui.say(format!(
            "Pausing {} before connecting...",
            config::go_duration(pause)
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
    let comm = SshCommunicator::connect(config, ui, cancel).await?;
    Ok((Arc::new(comm), generated))
}

/// Packer's `build.*` values for an SSH connection.
fn ssh_generated(config: &SshConfig, ui: &Ui) -> Result<GeneratedData, BuildError> {
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
            BuildError::config(format!("the generated SSH private key is invalid: {e}"))
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
