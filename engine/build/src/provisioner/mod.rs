//! The provisioners: Packer's core `file`, `shell`, `shell-local` and
//! `breakpoint`, and the `ansible` plugin's `ansible` and `ansible-local`,
//! with the helpers they share (remote commands, temporary scripts,
//! common fields).

pub mod ansible;
pub mod ansible_local;
pub mod breakpoint;
mod fields;
pub mod file;
mod remote;
pub mod shell;
pub mod shell_local;
mod temp_script;

pub(crate) use kiln_sdk::provisioner::{ProvisionContext, Provisioner};
pub(crate) use shell_local::LocalScript;
pub(crate) use temp_script::TempScript;
