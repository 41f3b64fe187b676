//! `null` data source (Packer core): echoes `input` as `output`.

use crate::schema::field::Field;
use crate::schema::ComponentSchema;
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[Field::string("input").req()];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::DataSource,
    type_name: "null",
    groups: &[FIELDS],
    plugin: None,
    check: None,
};
