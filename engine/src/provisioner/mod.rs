//! The `Provisioner` seam and the table of built-in provisioners.

mod ansible;
mod ansible_local;
mod breakpoint;
mod fields;
mod file;
mod remote;
mod shell;
mod shell_local;
mod temp_script;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::communicator::{Communicator, GeneratedData};
use crate::run::{BuildError, CancelToken, Ui};
use crate::template::model::Component;

pub(crate) use shell_local::LocalScript;
pub(crate) use temp_script::TempScript;

/// What a provisioner or post-processor gets while it runs.
#[derive(Clone)]
pub struct ProvisionContext<'a> {
    pub ui: &'a Ui,
    pub cancel: &'a CancelToken,
    pub cwd: &'a Path,
    /// The build's source name (`PACKER_BUILD_NAME`).
    pub build_name: &'a str,
    /// The builder type (`PACKER_BUILDER_TYPE`).
    pub builder_type: &'a str,
    /// One id per `kiln build` run (the manifest's `packer_run_uuid`).
    pub run_uuid: &'a str,
    /// The connection to the build machine (`None` for
    /// `communicator = "none"` and for post-processors).
    pub communicator: Option<Arc<dyn Communicator>>,
    /// The builder's generated values (`build.*`), including
    /// `PackerRunUUID`.
    pub generated: GeneratedData,
}

/// A provisioner changes the machine a builder prepared. Object-safe.
#[async_trait]
pub trait Provisioner: Send + Sync {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError>;
}

/// Provisioner types kiln implements today.
pub const AVAILABLE: &[&str] = &[
    "file",
    "shell-local",
    "shell",
    "breakpoint",
    "ansible",
    "ansible-local",
];

/// Construct (and prepare) the provisioner a component configures.
pub fn create(c: &Component) -> Result<Box<dyn Provisioner>, BuildError> {
    match c.type_name.as_str() {
        "file" => Ok(Box::new(file::FileProvisioner::prepare(c)?)),
        "shell-local" => Ok(Box::new(shell_local::ShellLocal::prepare(c)?)),
        "shell" => Ok(Box::new(shell::Shell::prepare(c)?)),
        "breakpoint" => Ok(Box::new(breakpoint::Breakpoint::prepare(c)?)),
        "ansible" => Ok(Box::new(ansible::Ansible::prepare(c)?)),
        "ansible-local" => Ok(Box::new(ansible_local::AnsibleLocal::prepare(c)?)),
        other => Err(BuildError::NotAvailable {
            kind: "provisioner",
            type_name: other.to_string(),
            available: AVAILABLE.join(", "),
        }),
    }
}
