//! The communicator fields every builder with a communicator accepts
//! (`packer-plugin-sdk` `communicator.Config`): `communicator`, `ssh_*`,
//! `winrm_*`.

use super::check::Checker;
use super::field::{Field, FieldType};
use crate::template::Value;

/// Packer's communicator types.
pub const COMMUNICATORS: &[&str] = &["docker", "dockerWindowsContainer", "none", "ssh", "winrm"];

const BYTES: FieldType = FieldType::List(&FieldType::Number);

/// `communicator.Config` (SSH and WinRM flattened).
pub const FIELDS: &[Field] = &[
    Field::one_of("communicator", COMMUNICATORS),
    Field::duration("pause_before_connecting"),
    Field::string("screenshot_dir"),
    Field::string("ssh_host"),
    Field::number("ssh_port"),
    Field::string("ssh_username"),
    Field::string("ssh_password"),
    Field::string("ssh_keypair_name"),
    Field::string("temporary_key_pair_name"),
    Field::one_of(
        "temporary_key_pair_type",
        &["dsa", "ecdsa", "ed25519", "rsa"],
    ),
    Field::number("temporary_key_pair_bits"),
    Field::strings("ssh_ciphers"),
    Field::bool("ssh_clear_authorized_keys"),
    Field::strings("ssh_key_exchange_algorithms"),
    Field::string("ssh_private_key_file"),
    Field::string("ssh_certificate_file"),
    Field::bool("ssh_pty"),
    Field::duration("ssh_timeout"),
    Field::duration("ssh_wait_timeout"),
    Field::bool("ssh_agent_auth"),
    Field::bool("ssh_disable_agent_forwarding"),
    Field::number("ssh_handshake_attempts"),
    Field::string("ssh_bastion_host"),
    Field::number("ssh_bastion_port"),
    Field::bool("ssh_bastion_agent_auth"),
    Field::string("ssh_bastion_username"),
    Field::string("ssh_bastion_password"),
    Field::bool("ssh_bastion_interactive"),
    Field::string("ssh_bastion_private_key_file"),
    Field::string("ssh_bastion_certificate_file"),
    Field::one_of("ssh_file_transfer_method", &["scp", "sftp"]),
    Field::string("ssh_proxy_host"),
    Field::number("ssh_proxy_port"),
    Field::string("ssh_proxy_username"),
    Field::string("ssh_proxy_password"),
    Field::duration("ssh_keep_alive_interval"),
    Field::duration("ssh_read_write_timeout"),
    Field::strings("ssh_remote_tunnels"),
    Field::strings("ssh_local_tunnels"),
    Field::new("ssh_public_key", BYTES),
    Field::new("ssh_private_key", BYTES),
    // kiln addition: pin host keys with an OpenSSH known_hosts file
    // (Packer accepts any host key).
    Field::string("ssh_known_hosts_file"),
    Field::string("winrm_username"),
    Field::string("winrm_password"),
    Field::string("winrm_host"),
    Field::bool("winrm_no_proxy"),
    Field::number("winrm_port"),
    Field::duration("winrm_timeout"),
    Field::bool("winrm_use_ssl"),
    Field::bool("winrm_insecure"),
    Field::bool("winrm_use_ntlm"),
];

/// The effective communicator type (`default` when unset or unknown
/// yet), `None` when the value is not a valid type (already reported).
pub fn kind(c: &Checker<'_>, default: &'static str) -> Option<String> {
    match c.string("communicator") {
        None => Some(default.to_string()),
        Some(k) if k.is_empty() => Some(default.to_string()),
        Some(k) if COMMUNICATORS.contains(&k.as_str()) => Some(k),
        Some(_) => None,
    }
}

/// SDK `communicator.Config.Prepare`: a user for SSH and WinRM, and a way
/// to authenticate to an SSH bastion.
pub fn check(c: &mut Checker<'_>, default: &'static str) {
    if c.value("communicator").is_some_and(Value::is_unknown) {
        return;
    }
    match kind(c, default).as_deref() {
        Some("ssh") => {
            if !c.is_set("ssh_username") {
                let range = c.body.range.clone();
                c.error(
                    "Missing required argument",
                    "The argument \"ssh_username\" is required, but no definition was found. (An ssh_username must be specified when the communicator is \"ssh\".)",
                    range,
                );
            }
            if c.is_known_set("ssh_bastion_host")
                && !c.is_set("ssh_bastion_agent_auth")
                && !c.is_set("ssh_bastion_password")
                && !c.is_set("ssh_bastion_private_key_file")
            {
                let range = c.name_range("ssh_bastion_host");
                c.error(
                    "Missing required argument",
                    "ssh_bastion_password or ssh_bastion_private_key_file must be specified",
                    range,
                );
            }
        }
        Some("winrm") if !c.is_set("winrm_username") => {
            let range = c.body.range.clone();
            c.error(
                "Missing required argument",
                "The argument \"winrm_username\" is required, but no definition was found. (A winrm_username must be specified when the communicator is \"winrm\".)",
                range,
            );
        }
        _ => {}
    }
}
