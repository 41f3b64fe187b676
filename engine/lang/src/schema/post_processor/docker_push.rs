//! `docker-push` post-processor (`github.com/hashicorp/docker`: pushes an image to a registry).

use crate::schema::field::Field;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

const FIELDS: &[Field] = &[
    Field::bool("login"),
    Field::string("login_username"),
    Field::string("login_password"),
    Field::string("login_server"),
    Field::bool("ecr_login"),
    Field::string("platform"),
    Field::string("aws_access_key"),
    Field::string("aws_secret_key"),
    Field::string("aws_token"),
    Field::string("aws_profile"),
    Field::bool("aws_force_use_public_ecr"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::PostProcessor,
    type_name: "docker-push",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: Some("github.com/hashicorp/docker"),
    check: None,
};
