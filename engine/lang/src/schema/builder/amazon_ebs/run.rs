//! Amazon `RunConfig`: the temporary instance Packer launches (source
//! AMI, networking, instance type, spot, metadata options, tags) plus
//! the EC2-specific communicator settings.

use super::ami::{KEY_VALUE, NAME_VALUE};
use crate::schema::field::{Field, FieldType};

/// `source_ami_filter` (`AmiFilterOptions`), also the amazon-ami data
/// source's own fields.
pub const AMI_FILTER: &[Field] = &[
    Field::string_map("filters"),
    Field::strings("owners"),
    Field::bool("most_recent"),
    Field::bool("include_deprecated"),
];

const SUBNET_FILTER: &[Field] = &[
    Field::string_map("filters"),
    Field::blocks("filter", NAME_VALUE),
    Field::bool("most_free"),
    Field::bool("random"),
];

/// `vpc_filter` and `security_group_filter`.
const FILTER: &[Field] = &[
    Field::string_map("filters"),
    Field::blocks("filter", NAME_VALUE),
];

const LICENSE_REQUEST: &[Field] = &[Field::string("license_configuration_arn")];

const LICENSE_SPECIFICATION: &[Field] = &[Field::block(
    "license_configuration_request",
    LICENSE_REQUEST,
)];

const TENANCIES: &[&str] = &["dedicated", "default", "host"];

const PLACEMENT: &[Field] = &[
    Field::string("host_resource_group_arn"),
    Field::string("host_id"),
    Field::one_of("tenancy", TENANCIES),
];

const STATEMENT: &[Field] = &[
    Field::string("Effect"),
    Field::strings("Action"),
    Field::strings("Resource"),
];

const POLICY_DOCUMENT: &[Field] = &[
    Field::string("Version"),
    Field::blocks("Statement", STATEMENT),
];

const ENABLED_DISABLED: &[&str] = &["disabled", "enabled"];

/// `metadata_options`.
pub const METADATA_OPTIONS: &[Field] = &[
    Field::one_of("http_endpoint", ENABLED_DISABLED),
    Field::one_of("http_tokens", &["optional", "required"]),
    Field::number("http_put_response_hop_limit"),
    Field::one_of("instance_metadata_tags", ENABLED_DISABLED),
];

/// `RunConfig` fields.
pub const FIELDS: &[Field] = &[
    Field::bool("associate_public_ip_address"),
    Field::string("elastic_ip_allocation_id"),
    Field::string("availability_zone"),
    Field::number("block_duration_minutes"),
    Field::one_of("capacity_reservation_preference", &["none", "open"]),
    Field::string("capacity_reservation_id"),
    Field::string("capacity_reservation_group_arn"),
    Field::bool("disable_stop_instance"),
    Field::bool("ebs_optimized"),
    Field::bool("enable_nitro_enclave"),
    Field::bool("enable_t2_unlimited"),
    Field::bool("enable_unlimited_credits"),
    Field::string("iam_instance_profile"),
    Field::string_map("fleet_tags"),
    Field::blocks("fleet_tag", KEY_VALUE),
    Field::bool("skip_profile_validation"),
    Field::block(
        "temporary_iam_instance_profile_policy_document",
        POLICY_DOCUMENT,
    ),
    Field::one_of("shutdown_behavior", &["stop", "terminate"]),
    Field::string("instance_type"),
    Field::block("security_group_filter", FILTER),
    Field::string_map("run_tags"),
    Field::blocks("run_tag", KEY_VALUE),
    Field::string("security_group_id"),
    Field::strings("security_group_ids"),
    Field::string("source_ami"),
    Field::block("source_ami_filter", AMI_FILTER),
    Field::one_of(
        "spot_allocation_strategy",
        &[
            "capacity-optimized",
            "capacity-optimized-prioritized",
            "diversified",
            "lowest-price",
            "price-capacity-optimized",
        ],
    ),
    Field::strings("spot_instance_types"),
    Field::string("spot_price"),
    Field::string("spot_price_auto_product"),
    Field::string_map("spot_tags"),
    Field::blocks("spot_tag", KEY_VALUE),
    Field::block("subnet_filter", SUBNET_FILTER),
    Field::string("subnet_id"),
    Field::blocks("license_specifications", LICENSE_SPECIFICATION),
    Field::block("placement", PLACEMENT),
    Field::one_of("tenancy", TENANCIES),
    Field::strings("temporary_security_group_source_cidrs"),
    Field::bool("temporary_security_group_source_public_ip"),
    Field::string("user_data"),
    Field::string("user_data_file"),
    Field::block("vpc_filter", FILTER),
    Field::string("vpc_id"),
    Field::duration("windows_password_timeout"),
    Field::block("metadata_options", METADATA_OPTIONS),
    // EC2 communicator additions
    Field::one_of(
        "ssh_interface",
        &[
            "private_dns",
            "private_ip",
            "public_dns",
            "public_ip",
            "session_manager",
        ],
    ),
    Field::duration("pause_before_ssm"),
    Field::new("session_manager_port", FieldType::Number),
];
