//! Packer's core post-processors: `artifice`, `checksum`, `compress`,
//! `manifest` and `shell-local`, with the output helpers they share
//! (rendered output paths, atomic files).

pub mod artifacts;
pub mod artifice;
pub mod checksum;
pub mod compress;
pub mod manifest;
mod manifest_lock;
pub mod output;
pub mod shell_local;
