//! `artifice` post-processor (Packer core: replaces the artifact with the listed files).

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[Field::strings("files")];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "artifice",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.require("files");
}
