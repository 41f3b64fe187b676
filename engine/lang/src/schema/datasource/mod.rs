//! Data source schemas.

pub mod amazon_ami;
pub mod http;
pub mod kiln_registry;
pub mod null;
