//! `null` builder (Packer core): only a communicator.

use crate::schema::check::Checker;
use crate::schema::{communicator, ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Builder,
    type_name: "null",
    groups: &[PACKER_COMMON, communicator::FIELDS],
    plugin: None,
    available: true,
    check: Some(check),
};

/// Packer's null builder: unless `communicator = "none"`, a host, a user
/// and one authentication method are required.
fn check(c: &mut Checker<'_>) {
    let kind = c.string("communicator").unwrap_or_default();
    // "none"/"docker" need nothing; an invalid type is already reported.
    if !matches!(kind.as_str(), "" | "ssh" | "winrm") {
        return;
    }
    let winrm = kind == "winrm";
    let (host, user, pass) = if winrm {
        ("winrm_host", "winrm_username", "winrm_password")
    } else {
        ("ssh_host", "ssh_username", "ssh_password")
    };
    c.require(host);
    c.require(user);
    let agent = c.is_set("ssh_agent_auth") && c.bool("ssh_agent_auth") != Some(false);
    if !(winrm || c.is_set(pass) || c.is_set("ssh_private_key_file") || agent) {
        let range = c.body.range.clone();
        c.error(
            "Missing required argument",
            "One authentication method must be set: \"ssh_password\", \"ssh_private_key_file\" or \"ssh_agent_auth\".",
            range,
        );
    }
    if winrm {
        c.require(pass);
    }
}
