//! Provisioner schemas. The common provisioner settings (`only`, `except`,
//! `pause_before`, `max_retries`, `timeout`, `override`, `name`) are
//! handled by the front ends and are not part of these schemas.

pub mod ansible;
pub mod ansible_local;
pub mod breakpoint;
pub mod file;
pub mod shell;
pub mod shell_local;
