//! `file` provisioner (Packer core): uploads or downloads files.

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("source"),
    Field::strings("sources"),
    Field::string("content"),
    Field::string("destination"),
    Field::one_of("direction", &["download", "upload"]),
    Field::bool("generated"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Provisioner,
    type_name: "file",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    available: true,
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.exactly_one(&["source", "sources", "content"]);
    c.require("destination");
    if c.string("direction").as_deref() == Some("download") {
        c.at_most_one(&["sources", "content"]);
    }
}
