//! `docker-tag` post-processor (`github.com/hashicorp/docker`: tags an imported image).

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::string("repository"),
    Field::strings("tag"),
    Field::strings("tags"),
    Field::bool("force"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "docker-tag",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: Some("github.com/hashicorp/docker"),
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.require("repository");
    c.at_most_one(&["tag", "tags"]);
}
