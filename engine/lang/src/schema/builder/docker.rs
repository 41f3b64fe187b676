//! `docker` builder (`github.com/hashicorp/docker`): provisions a
//! container, then commits, exports or discards it.

use crate::schema::check::Checker;
use crate::schema::field::Field;
use crate::schema::{communicator, ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

/// `build {}`: bootstrap the image from a Dockerfile.
const DOCKERFILE: &[Field] = &[
    Field::string("path").req(),
    Field::string("build_dir"),
    Field::string("platform"),
    Field::bool("pull"),
    Field::bool("compress"),
];

const FIELDS: &[Field] = &[
    Field::string("author"),
    Field::strings("changes"),
    Field::bool("commit"),
    Field::string("container_dir"),
    Field::strings("device"),
    Field::bool("discard"),
    Field::strings("cap_add"),
    Field::strings("cap_drop"),
    Field::string("exec_user"),
    Field::string("export_path"),
    Field::string("image"),
    Field::block("build", DOCKERFILE),
    Field::string("message"),
    Field::bool("privileged"),
    Field::bool("pty"),
    Field::string("runtime"),
    Field::bool("pull"),
    Field::strings("run_command"),
    Field::strings("tmpfs"),
    Field::string_map("volumes"),
    Field::bool("fix_upload_owner"),
    Field::bool("windows_container"),
    Field::string("platform"),
    Field::bool("login"),
    Field::string("login_password"),
    Field::string("login_server"),
    Field::string("login_username"),
    Field::bool("ecr_login"),
    Field::string("aws_access_key"),
    Field::string("aws_secret_key"),
    Field::string("aws_token"),
    Field::string("aws_profile"),
    Field::bool("aws_force_use_public_ecr"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Builder,
    type_name: "docker",
    groups: &[PACKER_COMMON, communicator::FIELDS, FIELDS],
    plugin: Some("github.com/hashicorp/docker"),
    check: Some(check),
};

/// The plugin's `Prepare`: an image (or a Dockerfile build) and exactly
/// one of `commit`, `discard`, `export_path`.
fn check(c: &mut Checker<'_>) {
    communicator::check(c, "docker");
    c.exactly_one(&["image", "build"]);
    c.exactly_one(&["commit", "discard", "export_path"]);
    if c.is_known_set("changes") && !c.is_set("commit") {
        let range = c.name_range("changes");
        c.error(
            "Invalid configuration",
            "The argument \"changes\" is only allowed with \"commit\".",
            range,
        );
    }
    if c.bool("ecr_login") == Some(true) {
        c.requires("ecr_login", "login_server");
    }
}
