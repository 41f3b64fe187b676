//! `docker-import` post-processor (`github.com/hashicorp/docker`: imports an exported container as an image).

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("repository"),
    Field::string("tag"),
    Field::strings("changes"),
    Field::string("platform"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "docker-import",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: Some("github.com/hashicorp/docker"),
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.require("repository");
}
