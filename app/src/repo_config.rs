//! `.github/kiln.yml`: a repository's settings for kiln-app.
//!
//! ```yaml
//! directories: [packer]          # where templates live (default: anywhere)
//! var_files:                     # var files per template directory
//!   packer/aws: [packer/aws/prod.pkrvars.hcl]
//! checks: [validate, fmt]        # default: both
//! comment: true                  # the sticky PR comment (default: true)
//! bump:                          # Terraform variables to move to new images
//!   - {build: amazon-ebs.ubuntu, files: "infra/*.tfvars", variable: ami_id, region: us-east-1}
//! bump_labels: [dependencies, images]  # labels of kiln-app's bump pull requests
//! legacy_templates: [old/build.json]  # legacy JSON templates (also found by a top-level "builders")
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::github::{GhError, Installation, TreeEntry};
use crate::ids::RepoName;

pub const PATH: &str = ".github/kiln.yml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Validate,
    Fmt,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    #[serde(default)]
    pub directories: Vec<String>,
    #[serde(default)]
    pub var_files: BTreeMap<String, Vec<String>>,
    #[serde(default = "default_checks")]
    pub checks: Vec<Check>,
    #[serde(default = "yes")]
    pub comment: bool,
    /// `kiln bump`'s targets (see `kiln_lang::bump`).
    #[serde(default)]
    pub bump: Vec<kiln_lang::bump::BumpTarget>,
    /// Labels kiln-app puts on its bump pull requests.
    #[serde(default)]
    pub bump_labels: Vec<Label>,
    /// Manifests of these workflows' runs feed the image registry.
    #[serde(default)]
    pub registry: Option<crate::registry::config::RegistryConfig>,
    /// Legacy JSON templates (`*.json` that are not `*.pkr.json`).
    #[serde(default)]
    pub legacy_templates: Vec<String>,
}

/// A GitHub label name: 1–50 characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(pub String);

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() || s.chars().count() > 50 {
            return Err(serde::de::Error::custom(format!(
                "label {s:?} must be 1-50 characters and not blank"
            )));
        }
        Ok(Label(s))
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn default_checks() -> Vec<Check> {
    vec![Check::Validate, Check::Fmt]
}

fn yes() -> bool {
    true
}

impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            directories: Vec::new(),
            var_files: BTreeMap::new(),
            checks: default_checks(),
            comment: true,
            bump: Vec::new(),
            bump_labels: Vec::new(),
            registry: None,
            legacy_templates: Vec::new(),
        }
    }
}

/// An invalid config file, with the 1-based line (and column) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{PATH}:{line}:{column}: {message}")]
pub struct ConfigFileError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The repository config in `tree` (a commit's recursive listing), read
/// through the installation; the default when the file is absent.
pub async fn fetch(
    gh: &Installation,
    repo: &RepoName,
    tree: &[TreeEntry],
) -> Result<Result<RepoConfig, ConfigFileError>, GhError> {
    let Some(entry) = tree.iter().find(|e| e.kind == "blob" && e.path == PATH) else {
        return Ok(Ok(RepoConfig::default()));
    };
    let bytes = gh.blob(repo, &entry.sha).await?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => RepoConfig::parse(&text),
        Err(_) => Err(ConfigFileError {
            line: 1,
            column: 1,
            message: "not valid UTF-8".into(),
        }),
    })
}

fn norm_dir(d: &str) -> String {
    d.trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string()
}

impl RepoConfig {
    pub fn parse(text: &str) -> Result<RepoConfig, ConfigFileError> {
        if text.trim().is_empty() {
            return Ok(RepoConfig::default());
        }
        let mut cfg: RepoConfig = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            ConfigFileError {
                line: line.max(1),
                column: column.max(1),
                message: e.to_string(),
            }
        })?;
        cfg.directories = cfg.directories.iter().map(|d| norm_dir(d)).collect();
        cfg.var_files = cfg
            .var_files
            .into_iter()
            .map(|(k, v)| (norm_dir(&k), v.iter().map(|f| norm_dir(f)).collect()))
            .collect();
        cfg.legacy_templates = cfg.legacy_templates.iter().map(|f| norm_dir(f)).collect();
        Ok(cfg)
    }

    pub fn runs(&self, c: Check) -> bool {
        self.checks.contains(&c)
    }

    /// Whether `dir` (repo-relative, `""` for the root) is covered by
    /// `directories`.
    pub fn covers(&self, dir: &str) -> bool {
        self.directories.is_empty()
            || self
                .directories
                .iter()
                .any(|d| d.is_empty() || dir == d || dir.starts_with(&format!("{d}/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = RepoConfig::parse(
            "directories: [packer/]\nvar_files:\n  packer: [packer/x.pkrvars.hcl]\n",
        )
        .unwrap_or_default();
        assert_eq!(c.directories, vec!["packer".to_string()]);
        assert!(c.covers("packer/aws") && !c.covers("other"));
        assert!(c.runs(Check::Fmt) && c.comment);
        let e = RepoConfig::parse("checks: [validate]\ncomment: maybe\n").err();
        assert_eq!(e.map(|e| e.line), Some(2));
        let e = RepoConfig::parse("comment: true\nbogus: 1\n").err();
        assert_eq!(e.map(|e| e.line), Some(2));
    }

    #[test]
    fn bump_targets_parse_with_located_errors() {
        let c = RepoConfig::parse(
            "bump:\n  - build: ubuntu\n    files: \"infra/*.tfvars\"\n    variable: ami_id\n",
        )
        .unwrap_or_default();
        assert_eq!(c.bump.len(), 1);
        assert!(c.bump[0].matches("infra/prod.tfvars"));
        let e =
            RepoConfig::parse("bump:\n  - build: ubuntu\n    files: x.tf\n    variable: \"a b\"\n")
                .err();
        assert_eq!(e.map(|e| (e.line, e.column)), Some((4, 15)));
    }

    #[test]
    fn bump_labels_parse_with_located_errors() {
        let c = RepoConfig::parse("bump_labels: [dependencies, images]\n").unwrap_or_default();
        let names: Vec<&str> = c.bump_labels.iter().map(|l| l.as_ref()).collect();
        assert_eq!(names, ["dependencies", "images"]);
        let e = RepoConfig::parse("comment: true\nbump_labels:\n  - ok\n  - \"  \"\n").err();
        let e = e.expect("a blank label is refused");
        // serde's location of a sequence element: the list's lines.
        assert!((3..=4).contains(&e.line), "{e}");
        assert!(
            e.message.contains("bump_labels") && e.message.contains("1-50"),
            "{e}"
        );
        let e = RepoConfig::parse("bump_labels: images\n").err();
        assert_eq!(e.map(|e| e.line), Some(1));
    }
}
