//! Packer's core builders: `file` and `null`.

pub mod file;
pub mod null;
