//! Everything AWS: one SDK configuration and credential chain
//! ([`client`]) shared by the `amazon-ebs` builder, the `amazon-ami` data
//! source and the Secrets Manager client behind the
//! `aws_secretsmanager*` template functions ([`secrets_manager`]).

pub(crate) mod amazon_ami;
pub(crate) mod amazon_ebs;
pub mod client;
mod own_thread;
pub mod secrets_manager;
mod sigv4;

pub use amazon_ebs::config::{Access, AssumeRole, Polling};
