//! `amazon-ami` data source (`github.com/hashicorp/amazon`): the access
//! config plus an AMI filter.

use crate::schema::builder::amazon_ebs::{access, run};
use crate::schema::check::Checker;
use crate::schema::{ComponentSchema, PACKER_COMMON};
use crate::template::model::ComponentKind;
use crate::template::Value;

pub static SCHEMA: ComponentSchema = ComponentSchema {
    kind: ComponentKind::DataSource,
    type_name: "amazon-ami",
    groups: &[PACKER_COMMON, access::FIELDS, run::AMI_FILTER],
    plugin: Some("github.com/hashicorp/amazon"),
    check: Some(check),
};

fn check(c: &mut Checker<'_>) {
    let filters_set = c.is_set("filters");
    let owners_set = c.is_set("owners");
    if !filters_set && !owners_set {
        let range = c.body.range.clone();
        c.error(
            "Missing required argument",
            "The argument \"filters\" is required, but no definition was found.",
            range,
        );
        return;
    }
    let owners_empty = matches!(c.value("owners"), Some(Value::List(v)) if v.is_empty());
    if !owners_set || owners_empty {
        let range = c.body.range.clone();
        c.error(
            "Missing required argument",
            "For security reasons, you must declare an owner: set \"owners\".",
            range,
        );
    }
}
