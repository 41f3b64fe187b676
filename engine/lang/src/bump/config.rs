//! The `bump:` targets of `.github/kiln.yml`: which build's images go into
//! which Terraform variable.
//!
//! ```yaml
//! bump:
//!   - build: amazon-ebs.ubuntu        # manifest build name or TYPE.NAME
//!     files: "infra/**/*.auto.tfvars" # glob relative to the repository root
//!     variable: ami_id                # tfvars attribute or `variable` block
//!     region: us-east-1               # required when the value is a string
//! ```
//!
//! [`BumpTarget`] deserializes with serde (kiln-app embeds it in its own
//! config type); [`parse_config`] reads a whole file for `kiln bump` and
//! reports errors with their line and column.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// Where `kiln bump` and kiln-app look for the configuration.
pub const CONFIG_PATH: &str = ".github/kiln.yml";

/// One `bump:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BumpTarget {
    /// A build of the manifest: its `name` or `TYPE.NAME`
    /// (`builder_type.name`).
    #[serde(deserialize_with = "non_empty")]
    pub build: String,
    /// Which files hold the variable.
    pub files: FileGlob,
    /// The attribute of a `*.tfvars` file or the label of a
    /// `variable "NAME" {}` block (its `default`) in a `*.tf` file.
    #[serde(deserialize_with = "identifier")]
    pub variable: String,
    /// The region whose image a plain string variable receives; for a map
    /// keyed by region, restricts the update to that key.
    #[serde(default, deserialize_with = "some_non_empty")]
    pub region: Option<String>,
}

impl BumpTarget {
    /// Whether the repository-relative `path` (with `/` separators) is one
    /// of this target's Terraform files: it matches the glob and ends in
    /// `.tf` or `.tfvars`. Callers fetch exactly these files for [`plan`].
    ///
    /// [`plan`]: super::plan
    pub fn matches(&self, path: &str) -> bool {
        is_terraform_file(path) && self.files.matches(path)
    }
}

/// The Terraform files kiln bump edits: `*.tf` (variable defaults) and
/// `*.tfvars` (which includes `*.auto.tfvars`).
pub fn is_terraform_file(path: &str) -> bool {
    path.ends_with(".tf") || path.ends_with(".tfvars")
}

/// A glob over repository-relative paths: `*`, `?` and `[…]` stay within
/// one path segment, `**` spans directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileGlob {
    text: String,
    pattern: glob::Pattern,
}

impl FileGlob {
    /// Compiles a glob; it must be relative to the repository root and may
    /// not leave it (`..`).
    pub fn new(text: &str) -> Result<FileGlob, String> {
        let trimmed = text.trim();
        let rel = trimmed.strip_prefix("./").unwrap_or(trimmed);
        if rel.is_empty() {
            return Err("files: the glob is empty".into());
        }
        if rel.starts_with('/') {
            return Err(format!(
                "files: {text:?} must be relative to the repository root"
            ));
        }
        if rel.split('/').any(|s| s == "..") {
            return Err(format!(
                "files: {text:?} must not leave the repository (`..`)"
            ));
        }
        let pattern =
            glob::Pattern::new(rel).map_err(|e| format!("files: invalid glob {text:?}: {e}"))?;
        Ok(FileGlob {
            text: rel.to_string(),
            pattern,
        })
    }

    /// The glob as written (without a leading `./`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a repository-relative path (with `/` separators) matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.strip_prefix("./").unwrap_or(path);
        self.pattern.matches_with(
            path,
            glob::MatchOptions {
                case_sensitive: true,
                require_literal_separator: true,
                require_literal_leading_dot: false,
            },
        )
    }
}

impl fmt::Display for FileGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for FileGlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, FileGlob::new)
    }
}

/// Deserializes a string and checks it inside the visitor, so that YAML
/// errors point at the scalar itself rather than at its mapping.
fn checked_str<'de, D, T>(d: D, check: fn(&str) -> Result<T, String>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct Check<T>(fn(&str) -> Result<T, String>);
    impl<T> serde::de::Visitor<'_> for Check<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Check(check))
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    checked_str(d, |s| {
        if s.trim().is_empty() {
            return Err("must not be empty".into());
        }
        Ok(s.trim().to_string())
    })
}

fn some_non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    non_empty(d).map(Some)
}

/// An HCL identifier (letters, digits, `_` and `-`, not starting with a
/// digit or `-`), as Terraform variable names are.
fn identifier<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    checked_str(d, |s| {
        let mut chars = s.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
            && chars.all(|c| c == '-' || unicode_ident::is_xid_continue(c));
        if !ok {
            return Err(format!("{s:?} is not a valid Terraform variable name"));
        }
        Ok(s.to_string())
    })
}

/// The part of `.github/kiln.yml` kiln bump reads; other keys belong to
/// kiln-app and are ignored here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BumpConfig {
    /// The `bump:` targets, in order.
    #[serde(default)]
    pub bump: Vec<BumpTarget>,
}

/// A configuration that could not be read, with the 1-based line and
/// column at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ConfigError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// From a serde_norway error (which also kiln-app's config parser
    /// returns), without the trailing "at line L column C".
    pub fn from_yaml(e: &serde_norway::Error) -> ConfigError {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(i) if text[i..].contains(" column ") => text[..i].to_string(),
            _ => text,
        };
        ConfigError {
            line: line.max(1),
            column: column.max(1),
            message,
        }
    }
}

/// Reads the `bump:` targets of a `.github/kiln.yml` text. An empty file
/// has none.
pub fn parse_config(text: &str) -> Result<BumpConfig, ConfigError> {
    if text.trim().is_empty() {
        return Ok(BumpConfig::default());
    }
    serde_norway::from_str(text).map_err(|e| ConfigError::from_yaml(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        match parse_config(text) {
            Ok(c) => panic!("accepted: {c:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn targets_parse_and_other_keys_are_ignored() {
        let c = parse_config(
            "checks: [fmt]\nbump:\n  - build: amazon-ebs.ubuntu\n    files: ./infra/*.tfvars\n    variable: ami_id\n    region: us-east-1\n",
        )
        .unwrap();
        assert_eq!(c.bump.len(), 1);
        let t = &c.bump[0];
        assert_eq!(
            (t.build.as_str(), t.files.as_str(), t.variable.as_str()),
            ("amazon-ebs.ubuntu", "infra/*.tfvars", "ami_id")
        );
        assert_eq!(t.region.as_deref(), Some("us-east-1"));
        assert!(t.matches("infra/prod.tfvars"));
        assert!(t.matches("./infra/prod.tfvars"));
        assert!(!t.matches("infra/sub/prod.tfvars"));
        assert!(!t.matches("infra/prod.tfvars.json"));
    }

    #[test]
    fn double_star_spans_directories_and_only_terraform_files_match() {
        let g = FileGlob::new("**/*.tf").unwrap();
        assert!(g.matches("a/b/c.tf") && g.matches("c.tf"));
        let t = BumpTarget {
            build: "x".into(),
            files: FileGlob::new("infra/**").unwrap(),
            variable: "v".into(),
            region: None,
        };
        assert!(t.matches("infra/a/main.tf") && t.matches("infra/x.auto.tfvars"));
        assert!(!t.matches("infra/README.md"));
    }

    #[test]
    fn errors_are_located() {
        let e = err("bump:\n  - build: b\n    files: x.tf\n    variable: 9lives\n");
        assert_eq!((e.line, e.column), (4, 15), "{e}");
        assert_eq!(
            e.message,
            "bump[0].variable: \"9lives\" is not a valid Terraform variable name"
        );
        let e = err("bump:\n  - build: b\n    files: \"[x.tf\"\n    variable: v\n");
        assert_eq!((e.line, e.column), (3, 12), "{e}");
        assert!(
            e.message.starts_with("bump[0].files: files: invalid glob"),
            "{e}"
        );
        let e = err("bump:\n  - build: b\n    files: /etc/*.tf\n    variable: v\n");
        assert_eq!(e.line, 3, "{e}");
        let e = err("bump:\n  - build: b\n    files: ../x.tf\n    variable: v\n");
        assert_eq!(e.line, 3, "{e}");
        let e = err("bump:\n  - build: b\n    files: x.tf\n    variabel: v\n");
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("unknown field `variabel`"), "{e}");
        let e = err("bump:\n  - build: b\n    files: x.tf\n");
        assert!(e.message.contains("missing field `variable`"), "{e}");
        let e = err("bump:\n  - build: \"\"\n    files: x.tf\n    variable: v\n");
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "bump[0].build: must not be empty")
        );
        let e = err("bump: {build: b}\n");
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn empty_file_has_no_targets() {
        assert_eq!(parse_config("\n").unwrap(), BumpConfig::default());
        assert_eq!(parse_config("comment: true\n").unwrap().bump, vec![]);
    }
}
