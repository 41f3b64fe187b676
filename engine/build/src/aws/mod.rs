//! Everything AWS: one client and credential chain ([`client`]) shared by
//! the `amazon-ebs` builder and the `amazon-ami` data source.

pub mod amazon_ami;
pub mod amazon_ebs;
pub mod client;
