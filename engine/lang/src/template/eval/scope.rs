//! The variables visible to expressions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::aws_secrets::AwsSecrets;

use crate::template::Value;

/// Variables visible to expressions: root name → value (`var`, `local`,
/// `path`, `packer`, `source`, `build`, `data`, `each`, template variables
/// of `templatefile`, …) and the directory relative paths resolve against.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    roots: BTreeMap<String, Value>,
    base_dir: PathBuf,
    /// See `LoadOptions::sandbox`.
    sandbox: Option<PathBuf>,
    /// See `LoadOptions::aws_secrets`.
    aws_secrets: Option<Arc<dyn AwsSecrets>>,
}

impl PartialEq for Scope {
    /// Equal variables, directories and sandbox, and the same Secrets
    /// Manager client (by identity).
    fn eq(&self, other: &Self) -> bool {
        let same_secrets = match (&self.aws_secrets, &other.aws_secrets) {
            (None, None) => true,
            (Some(a), Some(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            _ => false,
        };
        self.roots == other.roots
            && self.base_dir == other.base_dir
            && self.sandbox == other.sandbox
            && same_secrets
    }
}

impl Scope {
    /// An empty scope resolving relative paths against `base_dir`.
    pub fn new(base_dir: PathBuf) -> Self {
        Scope {
            roots: BTreeMap::new(),
            base_dir,
            sandbox: None,
            aws_secrets: None,
        }
    }

    /// Confine file functions below `root`; network functions → unknown.
    pub fn set_sandbox(&mut self, root: Option<PathBuf>) {
        self.sandbox = root;
    }

    /// The sandbox root, if any.
    pub fn sandbox(&self) -> Option<&Path> {
        self.sandbox.as_deref()
    }

    /// The Secrets Manager client functions use (`aws_secretsmanager`).
    pub fn set_aws_secrets(&mut self, client: Option<Arc<dyn AwsSecrets>>) {
        self.aws_secrets = client;
    }

    /// The Secrets Manager client, if any.
    pub fn aws_secrets(&self) -> Option<&Arc<dyn AwsSecrets>> {
        self.aws_secrets.as_ref()
    }

    /// Set (or replace) a root variable.
    pub fn set(&mut self, root: &str, value: Value) {
        self.roots.insert(root.to_string(), value);
    }

    /// The value of a root variable, if set.
    pub fn get(&self, root: &str) -> Option<&Value> {
        self.roots.get(root)
    }

    /// Remove a root variable, returning its value.
    pub fn remove(&mut self, root: &str) -> Option<Value> {
        self.roots.remove(root)
    }

    /// The directory relative paths (`file()`, `templatefile()`) resolve against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The names of all root variables, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roots.keys().map(String::as_str)
    }
}
