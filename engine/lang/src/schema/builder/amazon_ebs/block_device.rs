//! Amazon `BlockDevice` (`launch_block_device_mappings`,
//! `ami_block_device_mappings`) and the EBS builder's own fields.

use super::ami::NAME_VALUE;
use crate::schema::field::Field;

/// One block device mapping.
pub const BLOCK_DEVICE: &[Field] = &[
    Field::bool("delete_on_termination"),
    Field::string("device_name"),
    Field::bool("encrypted"),
    Field::number("iops"),
    Field::bool("no_device"),
    Field::string("snapshot_id"),
    Field::number("throughput"),
    Field::string("virtual_name"),
    Field::string("volume_type"),
    Field::number("volume_size"),
    Field::string("kms_key_id"),
];

const FAST_LAUNCH_TEMPLATE: &[Field] = &[
    Field::string("region"),
    Field::string("template_id"),
    Field::string("template_name"),
    Field::number("template_version"),
];

const FAST_LAUNCH: &[Field] = &[
    Field::bool("enable_fast_launch"),
    Field::string("template_id"),
    Field::string("template_name"),
    Field::number("template_version"),
    Field::blocks("region_launch_templates", FAST_LAUNCH_TEMPLATE),
    Field::number("max_parallel_launches"),
    Field::number("target_resource_count"),
];

/// Fields only the amazon-ebs builder has.
pub const EBS_FIELDS: &[Field] = &[
    Field::bool("skip_create_ami"),
    Field::bool("skip_ami_run_tags"),
    Field::blocks("ami_block_device_mappings", BLOCK_DEVICE),
    Field::blocks("launch_block_device_mappings", BLOCK_DEVICE),
    Field::string_map("run_volume_tags"),
    Field::blocks("run_volume_tag", NAME_VALUE),
    Field::bool("no_ephemeral"),
    Field::block("fast_launch", FAST_LAUNCH),
];
