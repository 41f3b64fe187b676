//! kiln-lang: the language layer of kiln, a Packer-compatible engine.
//!
//! # How a template flows
//!
//! 1. **Bytes → load.** [`load`] takes a path and [`LoadOptions`] (`-var`,
//!    `-var-file`, environment, `-only`/`-except`, a [`DataSources`]
//!    table). A directory or `*.pkr.hcl` / `*.pkr.json` file goes through
//!    the HCL2 front end ([`template::hcl2`]); any other file is a legacy
//!    JSON template ([`template::json`]).
//! 2. **Evaluate.** Loading evaluates as it goes, in Packer's order:
//!    variables, data sources, locals, sources, builds, with Packer's
//!    function library. The result is a [`Template`] (builds, sources,
//!    provisioners, post-processors as [`Component`]s with located
//!    [`ConfigBody`]s) inside a [`LoadResult`].
//! 3. **Validate.** [`validate_full`] (or [`validate()`]) loads, then checks
//!    every component the selected builds use against its description in
//!    [`schema`].
//! 4. **Plan.** [`plan()`] applies `-only`/`-except` and each
//!    provisioner's own `only`/`except`, giving [`PlannedBuild`]s;
//!    [`jobs`] turns them into [`BuildJob`]s, what the build layer's
//!    runner executes.
//!
//! Nothing here prints or builds: every finding is a [`Diagnostic`]
//! (rendered with [`render_text`] or [`render_json`]), and running
//! components is the build layer's job (`kiln-sdk`, `kiln-build`), which
//! plugs in through [`datasource`] and [`aws_secrets`].
//!
//! # Modules
//!
//! * [`template`] — loading and evaluation: the value model
//!   ([`Value`], [`template::types`]), the evaluated model
//!   ([`template::model`]), the HCL2 and JSON front ends, the function
//!   library, `hcl2_upgrade` ([`template::upgrade`]).
//! * [`schema`] — component descriptions (fields, types, cross-field
//!   rules), `required_plugins` / `required_version` checks.
//! * [`validate`](mod@validate), [`plan`](mod@plan) — the steps above.
//! * [`diag`] — diagnostics and their renderers.
//! * [`fmt`] — the `packer fmt`-compatible formatter ([`format_bytes`]).
//! * [`manifest`] — Packer's `packer-manifest.json`; [`images`] reads it
//!   back and splits artifact ids into images; [`bump`] moves Terraform
//!   variables to the images built.
//! * [`generated`] — builders' generated data (`build.*` placeholders).
//! * [`duration`] — Go duration strings.
//! * [`datasource`], [`aws_secrets`] — the seams the build layer fills:
//!   executable data sources, and AWS Secrets Manager for
//!   `aws_secretsmanager`.

#![deny(missing_docs)]

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

pub use datasource::{DataSourceError, DataSources, NoDataSources};
pub use diag::{render_json, render_text, Diagnostic, Diagnostics, Range, Severity, Sources};
pub use duration::{parse_duration, DurationError};
pub use fmt::{format_bytes, FmtError};
pub use images::{parse_manifest, Image};
pub use manifest::{ManifestEntry, ManifestFile, ManifestFileEntry, ManifestRegistry};
pub use plan::{job, jobs, plan, BuildJob, JobError, PlannedBuild};
pub use template::hcl2::{LoadResult, Loaded};
pub use template::load::load;
pub use template::model::{
    Build, Component, ComponentKind, ConfigBody, Template, TemplateFormat, Variable,
};
pub use template::{LoadOptions, Value};
pub use validate::{validate, validate_full};

/// The Packer release whose template language and CLI kiln follows
/// (`packer.version`, `required_version` checks).
pub const PACKER_COMPAT_VERSION: &str = "1.16.0";
