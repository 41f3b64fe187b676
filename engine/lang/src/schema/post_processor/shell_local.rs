//! `shell-local` post-processor (Packer core): the SDK `shell-local`
//! config, as the provisioner of the same name.

use crate::schema::provisioner::shell_local;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "shell-local",
    groups: &[PACKER_COMMON, shell_local::FIELDS],
    plugin: None,
    check: Some(shell_local::check),
};
