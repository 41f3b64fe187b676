//! kiln-lang: the language layer of kiln, a Packer-compatible engine.
//!
//! Templates flow `template` (load: HCL2 and legacy JSON front ends,
//! evaluation with Packer's functions) → `schema` (component descriptions
//! and validation) → `plan` (builds after -only/-except, as jobs for the
//! runner); `fmt` is the hclwrite-compatible formatter; `manifest`,
//! `images` and `bump` read what builds produced. The language layer
//! never prints and never builds: everything it finds is a
//! [`diag::Diagnostic`], and running components is the build layer's job
//! (`kiln-sdk`, `kiln-build`), which plugs in through [`datasource`] and
//! [`aws_secrets`].

pub mod aws_secrets;
pub mod bump;
pub mod datasource;
pub mod diag;
pub mod duration;
pub mod fmt;
pub mod generated;
mod go_json;
pub mod images;
pub mod manifest;
pub mod plan;
pub mod schema;
pub mod template;
pub mod validate;

/// The Packer release whose template language and CLI kiln follows
/// (`packer.version`, `required_version` checks).
pub const PACKER_COMPAT_VERSION: &str = "1.16.0";
