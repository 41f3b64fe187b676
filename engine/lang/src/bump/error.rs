//! Why a bump cannot be planned. Every error names the `bump[N]` target
//! it comes from and, when a file is at fault, `file:line:column`.

use std::fmt;

use crate::images::ArtifactIdError;

/// A place in a Terraform file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file's path as reported (relative to the repository).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` of `text`; the column counts
    /// characters.
    pub(crate) fn of(file: &str, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Location {
            file: file.to_string(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why [`plan`](super::plan) failed. `target` is the 0-based index of the
/// `bump:` entry, printed as `bump[N]` like the configuration's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BumpError {
    /// A file the target matches does not parse; nothing is edited.
    #[error("{at}: {message}")]
    Syntax {
        /// Where the parser stopped.
        at: Box<Location>,
        /// The parser's message.
        message: String,
    },

    /// The target's build is not in the manifest.
    #[error("bump[{target}]: build {build:?} is not in the manifest (it has {})", list(.available))]
    BuildNotFound {
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The build name the target asks for.
        build: String,
        /// The builds the manifest has.
        available: Vec<String>,
    },

    /// The target's build name matches builds of several types.
    #[error("bump[{target}]: build {build:?} matches {}; name one as TYPE.NAME", list(.candidates))]
    AmbiguousBuild {
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The build name the target asks for.
        build: String,
        /// The matching builds, as `TYPE.NAME`.
        candidates: Vec<String>,
    },

    /// The build's `artifact_id` does not have its builder's shape.
    #[error("bump[{target}]: {error}")]
    ArtifactId {
        /// 0-based index of the `bump:` target.
        target: usize,
        /// What is wrong with the artifact id.
        error: ArtifactIdError,
    },

    /// The glob matches none of the files given.
    #[error("bump[{target}]: files {glob:?} matches no Terraform file (*.tf, *.tfvars)")]
    NoFiles {
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The target's `files:` glob.
        glob: String,
    },

    /// No matched file sets the variable.
    #[error("bump[{target}]: no file matching {glob:?} sets variable {variable:?} (an attribute of a *.tfvars file or the default of a `variable` block in a *.tf file); searched {}", list(.searched))]
    NoVariable {
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The target's `files:` glob.
        glob: String,
        /// The Terraform variable to set.
        variable: String,
        /// The files looked at.
        searched: Vec<String>,
    },

    /// The value is neither a string literal nor a map of them.
    #[error("{at}: bump[{target}]: variable {variable:?} is not a string literal or a map of string literals; kiln bump cannot rewrite it")]
    NotEditable {
        /// Where in the Terraform file.
        at: Box<Location>,
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The Terraform variable.
        variable: String,
    },

    /// A plain string variable, a regional build and no `region:`.
    #[error("{at}: bump[{target}]: variable {variable:?} is a string, so the target needs `region:` (build {build} has images in {})", list(.regions))]
    RegionRequired {
        /// Where in the Terraform file.
        at: Box<Location>,
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The Terraform variable.
        variable: String,
        /// The build, as `TYPE.NAME`.
        build: String,
        /// The regions the build has images in.
        regions: Vec<String>,
    },

    /// `region:` names a region the build has no image in.
    #[error("{at}: bump[{target}]: build {build} has no image in region {region:?} (it has {})", list(.regions))]
    RegionNotBuilt {
        /// Where in the Terraform file.
        at: Box<Location>,
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The build, as `TYPE.NAME`.
        build: String,
        /// The target's `region:`.
        region: String,
        /// The regions the build has images in.
        regions: Vec<String>,
    },

    /// A map by region or `region:` for a build whose images have no region.
    #[error("{at}: bump[{target}]: build {build} does not build per region, so variable {variable:?} must be a string and the target must not set `region:`")]
    NotRegional {
        /// Where in the Terraform file.
        at: Box<Location>,
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The build, as `TYPE.NAME`.
        build: String,
        /// The Terraform variable.
        variable: String,
    },

    /// A map by region with none of the build's regions as keys.
    #[error("{at}: bump[{target}]: map {variable:?} has no key for a region build {build} has images in ({}); its keys: {}", list(.regions), list(.keys))]
    NoRegionKey {
        /// Where in the Terraform file.
        at: Box<Location>,
        /// 0-based index of the `bump:` target.
        target: usize,
        /// The Terraform variable (a map by region).
        variable: String,
        /// The build, as `TYPE.NAME`.
        build: String,
        /// The map's keys.
        keys: Vec<String>,
        /// The regions the build has images in.
        regions: Vec<String>,
    },

    /// Two targets write different images into the same value.
    #[error("{at}: bump[{first}] sets {first_id:?} but bump[{second}] sets {second_id:?}")]
    Conflict {
        /// The value both targets write.
        at: Box<Location>,
        /// Index of the earlier target.
        first: usize,
        /// Index of the later target.
        second: usize,
        /// The image id the earlier target writes.
        first_id: String,
        /// The image id the later target writes.
        second_id: String,
    },
}

impl BumpError {
    /// The file position at fault, for annotations (`None` when the error
    /// is about the manifest or the configuration as a whole).
    pub fn location(&self) -> Option<&Location> {
        match self {
            BumpError::Syntax { at, .. }
            | BumpError::NotEditable { at, .. }
            | BumpError::RegionRequired { at, .. }
            | BumpError::RegionNotBuilt { at, .. }
            | BumpError::NotRegional { at, .. }
            | BumpError::NoRegionKey { at, .. }
            | BumpError::Conflict { at, .. } => Some(at),
            BumpError::BuildNotFound { .. }
            | BumpError::AmbiguousBuild { .. }
            | BumpError::ArtifactId { .. }
            | BumpError::NoFiles { .. }
            | BumpError::NoVariable { .. } => None,
        }
    }

    /// The 0-based index of the `bump:` target at fault (the second one
    /// for a conflict); `None` for a file that does not parse.
    pub fn target(&self) -> Option<usize> {
        match self {
            BumpError::Syntax { .. } => None,
            BumpError::BuildNotFound { target, .. }
            | BumpError::AmbiguousBuild { target, .. }
            | BumpError::ArtifactId { target, .. }
            | BumpError::NoFiles { target, .. }
            | BumpError::NoVariable { target, .. }
            | BumpError::NotEditable { target, .. }
            | BumpError::RegionRequired { target, .. }
            | BumpError::RegionNotBuilt { target, .. }
            | BumpError::NotRegional { target, .. }
            | BumpError::NoRegionKey { target, .. } => Some(*target),
            BumpError::Conflict { second, .. } => Some(*second),
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let text = "a\nµb = 1\n";
        assert_eq!(Location::of("f", text, 0).to_string(), "f:1:1");
        assert_eq!(Location::of("f", text, 4).to_string(), "f:2:2");
        assert_eq!(Location::of("f", text, 99).to_string(), "f:3:1");
    }
}
