//! Everything AWS: one SDK configuration and credential chain
//! ([`client`]) shared by the `amazon-ebs` builder, the `amazon-ami` data
//! source and the Secrets Manager client behind the
//! `aws_secretsmanager*` template functions ([`secrets_manager`]).

pub mod amazon_ami;
pub mod amazon_ebs;
pub mod client;
pub mod secrets_manager;
pub mod sigv4;
