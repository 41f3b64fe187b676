//! The `registry:` section of `.github/kiln.yml`:
//!
//! ```yaml
//! registry:
//!   workflows: [kiln-build.yml]     # workflow files whose successful runs are recorded
//!   artifact: kiln-manifest-*       # artifact name; a trailing * matches a prefix
//!   bucket: ubuntu                  # optional: one bucket (default: one per build name)
//!   channel: latest                 # optional: channel moved to each new version
//!   labels: {team: platform}        # optional: version labels
//!   branches: [release/*]           # optional: branches (or tags) trusted besides the default branch
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    pub workflows: Vec<String>,
    #[serde(default = "default_artifact")]
    pub artifact: String,
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Head branches (a trailing `*` matches a prefix) whose runs are
    /// trusted besides the default branch's.
    #[serde(default)]
    pub branches: Vec<String>,
}

fn default_artifact() -> String {
    "kiln-manifest-*".to_string()
}

impl RegistryConfig {
    /// Whether the workflow at `path` (`.github/workflows/x.yml`) is listed
    /// (by file name or full path).
    pub fn lists_workflow(&self, path: &str) -> bool {
        let file = path.rsplit('/').next().unwrap_or(path);
        self.workflows
            .iter()
            .any(|w| w == path || w.trim_start_matches(".github/workflows/") == file)
    }

    /// Why a run on `head_branch` is not trusted: only the default
    /// branch's runs, and those of `branches`, record images (the workflow
    /// file that ran is then one the repository's maintainers control).
    pub fn untrusted_branch(&self, head_branch: &str, default_branch: &str) -> Option<String> {
        let listed = self.branches.iter().any(|b| match b.strip_suffix('*') {
            Some(prefix) => head_branch.starts_with(prefix),
            None => head_branch == b,
        });
        if head_branch == default_branch || listed {
            return None;
        }
        Some(format!(
            "the run is on branch {head_branch:?}, not the default branch {default_branch:?}{}: its images are not recorded",
            if self.branches.is_empty() {
                String::new()
            } else {
                format!(" nor one of registry.branches ({})", self.branches.join(", "))
            }
        ))
    }

    /// Whether an artifact name matches `artifact`.
    pub fn matches_artifact(&self, name: &str) -> bool {
        match self.artifact.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.artifact,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::repo_config::RepoConfig;

    #[test]
    fn registry_section_parses_and_matches() {
        let c = RepoConfig::parse(
            "registry:\n  workflows: [kiln-build.yml, .github/workflows/nightly.yml]\n",
        )
        .unwrap()
        .registry
        .unwrap();
        assert!(c.lists_workflow(".github/workflows/kiln-build.yml"));
        assert!(c.lists_workflow(".github/workflows/nightly.yml"));
        assert!(!c.lists_workflow(".github/workflows/other.yml"));
        assert!(c.matches_artifact("kiln-manifest-ubuntu") && !c.matches_artifact("logs"));
        assert_eq!(c.untrusted_branch("main", "main"), None);
        assert!(c.untrusted_branch("feature", "main").is_some());
        let c = RepoConfig::parse("registry:\n  workflows: [a.yml]\n  branches: [release/*, v1]\n")
            .unwrap()
            .registry
            .unwrap();
        assert_eq!(c.untrusted_branch("release/2024", "main"), None);
        assert_eq!(c.untrusted_branch("v1", "main"), None);
        let why = c.untrusted_branch("v2", "main").unwrap();
        assert!(
            why.contains("nor one of registry.branches (release/*, v1)"),
            "{why}"
        );
        let e = RepoConfig::parse("comment: true\nregistry:\n  workflows: [a.yml]\n  bogus: 1\n")
            .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }
}
