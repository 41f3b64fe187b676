//! Post-processor schemas. The common settings (`only`, `except`,
//! `keep_input_artifact`, `name`) are handled by the front ends.

pub mod artifice;
pub mod checksum;
pub mod compress;
pub mod docker_import;
pub mod docker_push;
pub mod docker_save;
pub mod docker_tag;
pub mod manifest;
pub mod shell_local;
