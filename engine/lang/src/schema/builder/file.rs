//! `file` builder (Packer core): writes `content` or copies `source` to
//! `target`.

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("source"),
    Field::string("target").req(),
    Field::string("content"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Builder,
    type_name: "file",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.at_most_one(&["source", "content"]);
}
