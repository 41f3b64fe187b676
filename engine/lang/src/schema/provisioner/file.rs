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
    check: Some(check),
};

/// Packer's `Prepare`: `source` is appended to `sources`; some source
/// or `content` is required, but not both; `destination` is required.
fn check(c: &mut Checker<'_>) {
    c.at_least_one(&["source", "sources", "content"]);
    if c.is_known_set("content") {
        for other in ["source", "sources"] {
            if c.is_known_set(other) {
                let range = c.name_range("content");
                c.error(
                    "Conflicting arguments",
                    format!("Only one of {other:?} or \"content\" may be set."),
                    range,
                );
                break;
            }
        }
    }
    c.require("destination");
}
