//! `shell-local` provisioner (Packer core, SDK `shell-local.Config`); the
//! post-processor of the same name shares the fields.

use crate::schema::check::Checker;
use crate::schema::field::{Field, FieldType};
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;

/// SDK `shell-local.Config` fields.
pub const FIELDS: &[Field] = &[
    Field::strings("inline"),
    Field::string("script"),
    Field::strings("scripts"),
    Field::new("valid_exit_codes", FieldType::List(&FieldType::Number)),
    Field::string_map("env"),
    Field::strings("environment_vars"),
    Field::string("env_var_format"),
    Field::string("command"),
    Field::strings("execute_command"),
    Field::string("inline_shebang"),
    Field::strings("only_on"),
    Field::string("tempfile_extension"),
    Field::bool("use_linux_pathing"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Provisioner,
    type_name: "shell-local",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: Some(check),
};

/// SDK `shell-local.Validate`: exactly one of command, inline, script or
/// scripts; `KEY=VALUE` environment variables.
pub fn check(c: &mut Checker<'_>) {
    c.exactly_one(&["command", "inline", "script", "scripts"]);
    super::shell::check_environment_vars(c);
}
