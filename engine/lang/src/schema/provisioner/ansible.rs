//! `ansible` provisioner (`github.com/hashicorp/ansible`): runs
//! ansible-playbook locally against the machine being built.

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("command"),
    Field::strings("extra_arguments"),
    Field::strings("ansible_env_vars"),
    Field::string("playbook_file"),
    Field::strings("ansible_ssh_extra_args"),
    Field::strings("groups"),
    Field::strings("empty_groups"),
    Field::string("host_alias"),
    Field::string("user"),
    Field::number("local_port"),
    Field::string("ssh_host_key_file"),
    Field::string("ssh_authorized_key_file"),
    Field::one_of("ansible_proxy_key_type", &["ecdsa", "ed25519", "rsa"]),
    Field::string("sftp_command"),
    Field::bool("skip_version_check"),
    Field::bool("use_sftp"),
    Field::string("inventory_directory"),
    Field::string("inventory_file_template"),
    Field::string("inventory_file"),
    Field::bool("keep_inventory_file"),
    Field::string("galaxy_file"),
    Field::string("galaxy_command"),
    Field::bool("galaxy_force_install"),
    Field::bool("galaxy_force_with_deps"),
    Field::string("roles_path"),
    Field::string("collections_path"),
    Field::bool("use_proxy"),
    Field::bool("ansible_winrm_use_http"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Provisioner,
    type_name: "ansible",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: Some("github.com/hashicorp/ansible"),
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.require("playbook_file");
}
