//! Builder schemas.

pub mod amazon_ebs;
pub mod file;
pub mod null;
