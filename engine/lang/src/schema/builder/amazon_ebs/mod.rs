//! `amazon-ebs` builder (`github.com/hashicorp/amazon`): every field of
//! the plugin's `builder/ebs` config, split by the plugin's own config
//! structs.

pub mod access;
pub mod ami;
pub mod block_device;
pub mod rules;
pub mod run;

use crate::schema::check::Checker;
use crate::schema::{communicator, ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Builder,
    type_name: "amazon-ebs",
    groups: &[
        PACKER_COMMON,
        access::FIELDS,
        ami::FIELDS,
        run::FIELDS,
        communicator::FIELDS,
        block_device::EBS_FIELDS,
    ],
    plugin: Some("github.com/hashicorp/amazon"),
    check: Some(check),
};

/// The rules of the plugin's `Prepare` that need no AWS access.
fn check(c: &mut Checker<'_>) {
    rules::ami(c);
    rules::run(c);
    communicator::check(c, "ssh");
}
