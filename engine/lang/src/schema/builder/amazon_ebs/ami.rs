//! Amazon `AMIConfig`: naming, sharing, tagging and encryption of the
//! produced image.

use crate::schema::field::Field;

/// `key`/`value` blocks (`tag {}`, `run_tag {}`, …; SDK `config.KeyValue`).
pub const KEY_VALUE: &[Field] = &[Field::string("key"), Field::string("value")];

/// `name`/`value` blocks (`filter {}`, `run_volume_tag {}`; SDK
/// `config.NameValue`).
pub const NAME_VALUE: &[Field] = &[Field::string("name"), Field::string("value")];

const DEREGISTRATION_PROTECTION: &[Field] = &[Field::bool("enabled"), Field::bool("with_cooldown")];

/// `AMIConfig` fields.
pub const FIELDS: &[Field] = &[
    Field::string("ami_name"),
    Field::string("ami_description"),
    Field::one_of("ami_virtualization_type", &["hvm", "paravirtual"]),
    Field::strings("ami_users"),
    Field::strings("ami_groups"),
    Field::strings("ami_org_arns"),
    Field::strings("ami_ou_arns"),
    Field::strings("ami_product_codes"),
    Field::strings("ami_regions"),
    Field::bool("skip_region_validation"),
    Field::number("snapshot_copy_duration_minutes"),
    Field::string_map("tags"),
    Field::blocks("tag", KEY_VALUE),
    Field::bool("ena_support"),
    Field::bool("sriov_support"),
    Field::bool("force_deregister"),
    Field::bool("force_delete_snapshot"),
    Field::bool("encrypt_boot"),
    Field::string("kms_key_id"),
    Field::string_map("region_kms_key_ids"),
    Field::bool("skip_save_build_region"),
    Field::one_of("imds_support", &["v2.0"]),
    Field::string("deprecate_at"),
    Field::string_map("snapshot_tags"),
    Field::blocks("snapshot_tag", KEY_VALUE),
    Field::strings("snapshot_users"),
    Field::strings("snapshot_groups"),
    Field::block("deregistration_protection", DEREGISTRATION_PROTECTION),
];
