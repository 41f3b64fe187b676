//! `checksum` post-processor (Packer core: writes checksum files of the artifact).

use crate::schema::field::{Field, FieldType};
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::new(
        "checksum_types",
        FieldType::List(&FieldType::Enum(&[
            "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
        ])),
    ),
    Field::string("output"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "checksum",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: None,
};
