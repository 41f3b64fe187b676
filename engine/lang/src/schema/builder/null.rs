//! `null` builder (Packer core): only a communicator.

use crate::schema::check::Checker;
use crate::schema::{communicator, ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;
use crate::template::Value;

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Builder,
    type_name: "null",
    groups: &[PACKER_COMMON, communicator::FIELDS],
    plugin: None,
    check: Some(check),
};

/// Packer's null builder: unless `communicator = "none"`, a host, a user
/// and exactly one authentication method.
fn check(c: &mut Checker<'_>) {
    communicator::check(c, "ssh");
    if c.value("communicator").is_some_and(Value::is_unknown) {
        return;
    }
    let Some(kind) = communicator::kind(c, "ssh") else {
        return;
    };
    if kind == "none" {
        return;
    }
    let winrm = kind == "winrm";
    let (host, pass) = if winrm {
        ("winrm_host", "winrm_password")
    } else {
        ("ssh_host", "ssh_password")
    };
    let range = c.body.range.clone();
    if !c.is_set(host) {
        c.error(
            "Missing required argument",
            format!("The argument {host:?} is required, but no definition was found. (a Host must be specified, please reference your communicator documentation)"),
            range.clone(),
        );
    }
    let agent = c.bool("ssh_agent_auth") == Some(true)
        || c.value("ssh_agent_auth").is_some_and(Value::is_unknown);
    if !(agent || c.is_set(pass) || c.is_set("ssh_private_key_file")) {
        c.error(
            "Missing required argument",
            format!("One authentication method must be set: {pass:?}, \"ssh_private_key_file\" or \"ssh_agent_auth\"."),
            range,
        );
    }
    let methods = [
        c.bool("ssh_agent_auth") == Some(true),
        c.is_known_set("ssh_password"),
        c.is_known_set("ssh_private_key_file"),
    ];
    if methods.iter().filter(|m| **m).count() > 1 {
        let at = if methods[2] {
            "ssh_private_key_file"
        } else {
            "ssh_password"
        };
        let range = c.name_range(at);
        c.error(
            "Conflicting arguments",
            "only one of ssh_agent_auth, ssh_password, and ssh_private_key_file must be specified",
            range,
        );
    }
}
