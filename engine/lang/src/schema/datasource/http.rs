//! `http` data source (Packer core): fetches a URL.

use crate::schema::field::Field;
use crate::schema::ComponentSchema;
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("url").req(),
    Field::string_map("request_headers"),
    Field::one_of(
        "method",
        &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
    ),
    Field::string("request_body"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::DataSource,
    type_name: "http",
    groups: &[FIELDS],
    plugin: None,
    check: None,
};
