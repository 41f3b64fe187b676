//! `compress` post-processor (Packer core: archives the artifact files).

use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("output"),
    Field::string("format"),
    Field::number("compression_level"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "compress",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: None,
};
