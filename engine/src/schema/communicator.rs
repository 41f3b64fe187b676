//! The communicator fields every builder with a communicator accepts
//! (`packer-plugin-sdk` `communicator.Config`): `communicator`, `ssh_*`,
//! `winrm_*`.

use super::field::{Field, FieldType};

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
