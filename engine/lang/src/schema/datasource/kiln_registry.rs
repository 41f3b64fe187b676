//! `kiln-registry-version` / `kiln-registry-artifact` (kiln): kiln-app's
//! image registry, with the arguments of HCP Packer's `hcp-packer-version`
//! and `hcp-packer-artifact`, plus `registry_url` (default:
//! `KILN_REGISTRY_URL`).

use crate::schema::field::Field;
use crate::schema::ComponentSchema;
use crate::template::model::ComponentKind;

const VERSION_FIELDS: &[Field] = &[
    Field::string("bucket_name").req(),
    Field::string("channel_name").req(),
    Field::string("registry_url"),
];

const ARTIFACT_FIELDS: &[Field] = &[
    Field::string("bucket_name").req(),
    Field::string("version_fingerprint").req(),
    Field::string("platform").req(),
    Field::string("region").req(),
    Field::string("component_type"),
    Field::string("registry_url"),
];

pub static VERSION: ComponentSchema = ComponentSchema {
    kind: ComponentKind::DataSource,
    type_name: "kiln-registry-version",
    groups: &[VERSION_FIELDS],
    plugin: None,
    check: None,
};

pub static ARTIFACT: ComponentSchema = ComponentSchema {
    kind: ComponentKind::DataSource,
    type_name: "kiln-registry-artifact",
    groups: &[ARTIFACT_FIELDS],
    plugin: None,
    check: None,
};
