//! kiln-engine: a Packer-compatible template engine.
//!
//! Templates flow `load` → `template` (parse + evaluate) → `schema`
//! (component validation) → `plan` (builds after -only/-except); `fmt` is
//! the hclwrite-compatible formatter. The engine never prints: everything it
//! finds is a [`diag::Diagnostic`].

pub mod diag;
pub mod fmt;
pub mod plan;
pub mod schema;
pub mod template;
pub mod validate;

/// The Packer release whose template language and CLI kiln follows
/// (`packer.version`, `required_version` checks).
pub const PACKER_COMPAT_VERSION: &str = "1.16.0";
pub mod artifact;
pub mod builder;
pub mod bump;
pub mod communicator;
pub mod images;
pub mod postprocessor;
pub mod provisioner;
pub mod run;
