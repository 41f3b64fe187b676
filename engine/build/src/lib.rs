#![deny(missing_docs)]
//! kiln-build: the build layer of kiln — the components kiln runs and the
//! parallel runner.
//!
//! Layers inside this crate, bottom to top:
//! - components, grouped by platform: [`aws`] (one credential chain, the
//!   `amazon-ebs` builder, the `amazon-ami` data source, the Secrets
//!   Manager client of the `aws_secretsmanager*` functions), [`docker`] (one
//!   client, the `docker` builder and communicator, the `docker-*`
//!   post-processors), [`ssh`] (the SSH communicator), and Packer's core
//!   components in [`builder`], [`provisioner`], [`postprocessor`] and
//!   [`datasource`]. Components speak only `kiln-sdk`'s vocabulary and
//!   `kiln-lang`'s values; none imports the runner.
//! - [`components`]: the one table that maps a component type to its
//!   implementation.
//! - [`runner`]: runs planned builds ([`kiln_lang::plan::BuildJob`]) in
//!   parallel, creating components only through [`components`].

pub mod aws;
pub(crate) mod builder;
pub mod components;
pub(crate) mod datasource;
pub mod docker;
pub(crate) mod local_shell;
pub(crate) mod postprocessor;
pub(crate) mod provisioner;
pub mod runner;
pub mod ssh;

pub use aws::secrets_manager::aws_secrets;
pub use components::{data_sources, runnable, BuiltinDataSources};
pub use runner::{run_builds, BuildOutcome, OnError, RunOptions};
