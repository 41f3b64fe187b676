//! Builder schemas.

pub mod file;
pub mod null;
