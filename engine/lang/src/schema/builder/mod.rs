//! Builder schemas.

pub mod amazon_ebs;
pub mod docker;
pub mod file;
pub mod null;
