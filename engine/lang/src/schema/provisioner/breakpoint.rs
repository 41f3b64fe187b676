//! `breakpoint` provisioner (Packer core): pauses the build.

use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[Field::bool("disable"), Field::string("note")];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Provisioner,
    type_name: "breakpoint",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: None,
};
