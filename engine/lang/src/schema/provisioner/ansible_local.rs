//! `ansible-local` provisioner (`github.com/hashicorp/ansible`): runs
//! ansible on the machine being built.

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("command"),
    Field::strings("extra_arguments"),
    Field::string("group_vars"),
    Field::string("host_vars"),
    Field::string("playbook_dir"),
    Field::string("playbook_file"),
    Field::strings("playbook_files"),
    Field::strings("playbook_paths"),
    Field::strings("role_paths"),
    Field::strings("collection_paths"),
    Field::string("staging_directory"),
    Field::bool("clean_staging_directory"),
    Field::string("inventory_file"),
    Field::strings("inventory_groups"),
    Field::string("galaxy_file"),
    Field::string("galaxy_command"),
    Field::bool("galaxy_force_install"),
    Field::string("galaxy_roles_path"),
    Field::string("galaxy_collections_path"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Provisioner,
    type_name: "ansible-local",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: Some("github.com/hashicorp/ansible"),
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.exactly_one(&["playbook_file", "playbook_files"]);
}
