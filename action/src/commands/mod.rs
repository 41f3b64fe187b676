//! One module per `kiln` command.

pub mod build;
pub mod bump;
pub mod common;
pub mod console;
pub mod fmt;
pub mod hcl2_upgrade;
pub mod init;
pub mod inspect;
pub mod matrix;
pub mod validate;
