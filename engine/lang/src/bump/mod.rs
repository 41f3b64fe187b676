//! `kiln bump`: move Terraform variables to the images a Packer manifest
//! says were built. Shared by the `kiln bump` command and kiln-app's bump
//! pull requests, so it does no I/O: callers hand in the manifest, the
//! `bump:` targets of `.github/kiln.yml` and the contents of the files the
//! targets match, and get back each file's new text.
//!
//! ```
//! use std::collections::BTreeMap;
//! use kiln_lang::{bump, images};
//!
//! let manifest = images::parse_manifest(br#"{"builds": [{"name": "ubuntu",
//!     "builder_type": "amazon-ebs", "artifact_id": "us-east-1:ami-0new",
//!     "packer_run_uuid": "r1"}], "last_run_uuid": "r1"}"#).unwrap();
//! let config = bump::parse_config(
//!     "bump:\n  - {build: ubuntu, files: '*.tfvars', variable: ami_id, region: us-east-1}\n",
//! ).unwrap();
//! let files = BTreeMap::from([(
//!     "prod.tfvars".to_string(),
//!     "ami_id = \"ami-0old\" # bumped by kiln\n".to_string(),
//! )]);
//! let plan = bump::plan(&manifest, &config.bump, &files).unwrap();
//! assert_eq!(plan.files[0].new, "ami_id = \"ami-0new\" # bumped by kiln\n");
//! assert_eq!((plan.changes[0].old.as_str(), plan.changes[0].new.as_str()), ("ami-0old", "ami-0new"));
//! ```
//!
//! What is rewritten: a string literal (`ami_id = "ami-…"` in a `*.tfvars`
//! file, or the `default` of `variable "ami_id" {}` in a `*.tf` file) gets
//! the image of the target's `region:`; in a map (object) keyed by region,
//! each key the build has an image for gets that image. Only those string
//! literals change: comments, alignment, line endings and every other
//! byte of the file are kept.

mod config;
mod error;
mod manifest;
mod plan;
mod terraform;

pub use config::{
    is_terraform_file, parse_config, BumpConfig, BumpTarget, ConfigError, FileGlob, CONFIG_PATH,
};
pub use error::{BumpError, Location};
pub use plan::{plan, BumpPlan, Change, FileEdit};
