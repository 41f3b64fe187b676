//! `amazon-ebs` builder (`github.com/hashicorp/amazon`): every field of
//! the plugin's `builder/ebs` config, split by the plugin's own config
//! structs.

pub mod access;
pub mod ami;
pub mod block_device;
pub mod run;

use crate::schema::check::Checker;
use crate::schema::{communicator, ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;
use crate::template::Value;

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
    available: false,
    check: Some(check),
};

/// The rules of the plugin's `Prepare` that need no AWS access.
fn check(c: &mut Checker<'_>) {
    if c.bool("skip_create_ami") != Some(true) {
        c.require("ami_name");
    }
    c.at_least_one(&["instance_type", "spot_instance_types"]);
    c.at_most_one(&["instance_type", "spot_instance_types"]);
    c.at_least_one(&["source_ami", "source_ami_filter"]);
    for filter in c.nested("source_ami_filter") {
        c.with_nested(&filter, require_owner);
    }
    c.at_most_one(&["user_data", "user_data_file"]);
    c.at_most_one(&["security_group_id", "security_group_ids"]);
}

/// An AMI filter must name an owner ("For security reasons, your source
/// AMI filter must declare an owner."), unless it is empty.
pub fn require_owner(c: &mut Checker<'_>) {
    let empty = !c.is_set("filters") && !c.is_set("owners");
    let owners_empty = matches!(c.value("owners"), Some(Value::List(v)) if v.is_empty());
    if !empty && (!c.is_set("owners") || owners_empty) {
        let range = c.body.range.clone();
        c.error(
            "Missing required argument",
            "For security reasons, your source AMI filter must declare an owner: set \"owners\".",
            range,
        );
    }
}
