//! `shell` provisioner (Packer core).

use crate::schema::check::Checker;
use crate::schema::field::{Field, FieldType};
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;
use crate::template::Value;

const FIELDS: &[Field] = &[
    Field::strings("inline"),
    Field::string("script"),
    Field::strings("scripts"),
    Field::new("valid_exit_codes", FieldType::List(&FieldType::Number)),
    Field::string_map("env"),
    Field::strings("environment_vars"),
    Field::string("env_var_format"),
    Field::bool("binary"),
    Field::string("remote_path"),
    Field::string("execute_command"),
    Field::string("inline_shebang"),
    Field::duration("pause_after"),
    Field::bool("use_env_var_file"),
    Field::string("remote_folder"),
    Field::string("remote_file"),
    Field::duration("start_retry_timeout"),
    Field::bool("skip_clean"),
    Field::bool("expect_disconnect"),
];

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::Provisioner,
    type_name: "shell",
    groups: &[PACKER_COMMON, FIELDS],
    plugin: None,
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    c.exactly_one(&["inline", "script", "scripts"]);
    check_environment_vars(c);
}

/// `environment_vars` entries must be `KEY=VALUE` (shared by the shell
/// provisioners and post-processors).
pub fn check_environment_vars(c: &mut Checker<'_>) {
    let Some(Value::List(items)) = c.value("environment_vars") else {
        return;
    };
    for item in items {
        if let Value::String(s) = item {
            if !s.contains('=') || s.starts_with('=') {
                let range = c.value_range("environment_vars");
                c.error(
                    "Invalid environment variable",
                    format!("Environment variable not in format 'key=value': {s}"),
                    range,
                );
            }
        }
    }
}
