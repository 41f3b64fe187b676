//! `docker-save` post-processor (`github.com/hashicorp/docker`: saves an image to a tar file).

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[Field::string("path")];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "docker-save",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: Some("github.com/hashicorp/docker"),
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.require("path");
}
