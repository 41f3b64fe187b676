//! `manifest` post-processor (Packer core: writes a JSON manifest of the artifacts).

use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("output"),
    Field::bool("strip_path"),
    Field::bool("strip_time"),
    Field::string_map("custom_data"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "manifest",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: None,
};
