//! The identifiers that travel through jobs: a repository's `owner/name`
//! ([`RepoName`], validated) and a commit SHA ([`CommitSha`]). Both are
//! plain strings in the database and in JSON (`serde(transparent)`), so
//! job payloads and table columns read exactly as before.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A repository's full name, `owner/name`: exactly one `/`, both parts
/// non-empty, each of GitHub's name characters (`A-Z a-z 0-9 . _ -`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoName(String);

/// Why a string is not a repository's `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("repository name {0:?} is not owner/name")]
pub struct RepoNameError(pub String);

fn name_part(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl RepoName {
    /// `owner/name`, or the error naming the string.
    pub fn parse(s: &str) -> Result<RepoName, RepoNameError> {
        match s.split_once('/') {
            Some((owner, name)) if name_part(owner) && name_part(name) => {
                Ok(RepoName(s.to_string()))
            }
            _ => Err(RepoNameError(s.to_string())),
        }
    }

    /// A name the job queue stored (only ever written from a
    /// [`RepoName`]), taken as it is: a claimed job is never refused for
    /// its repository column.
    pub(crate) fn from_stored(s: String) -> RepoName {
        RepoName(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owner (user or organization).
    pub fn owner(&self) -> &str {
        self.0.split_once('/').map(|(o, _)| o).unwrap_or(&self.0)
    }

    /// The repository's own name.
    pub fn name(&self) -> &str {
        self.0.split_once('/').map(|(_, n)| n).unwrap_or_default()
    }
}

impl TryFrom<String> for RepoName {
    type Error = RepoNameError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        RepoName::parse(&s)
    }
}

impl From<RepoName> for String {
    fn from(r: RepoName) -> String {
        r.0
    }
}

impl std::str::FromStr for RepoName {
    type Err = RepoNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RepoName::parse(s)
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RepoName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RepoName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RepoName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A commit SHA as GitHub gives it (a head SHA). Empty where a job says
/// "the default branch's head" (see `bump::BumpJob::head_sha`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommitSha(String);

impl CommitSha {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for CommitSha {
    fn from(s: String) -> Self {
        CommitSha(s)
    }
}

impl From<&str> for CommitSha {
    fn from(s: &str) -> Self {
        CommitSha(s.to_string())
    }
}

impl From<CommitSha> for String {
    fn from(s: CommitSha) -> String {
        s.0
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for CommitSha {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for CommitSha {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for CommitSha {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CommitSha {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names_are_owner_slash_name() {
        let r = RepoName::parse("octo-org/octo.repo_1").expect("valid");
        assert_eq!((r.owner(), r.name()), ("octo-org", "octo.repo_1"));
        for bad in ["", "o", "o/", "/r", "o/r/x", "o /r", "o/r\n", "ö/r"] {
            assert_eq!(RepoName::parse(bad), Err(RepoNameError(bad.to_string())));
        }
        assert_eq!(
            serde_json::to_string(&r).expect("json"),
            "\"octo-org/octo.repo_1\""
        );
        assert!(serde_json::from_str::<RepoName>("\"nope\"").is_err());
        let sha: CommitSha = serde_json::from_str("\"abc\"").expect("json");
        assert_eq!(sha, "abc");
        assert_eq!(serde_json::to_string(&sha).expect("json"), "\"abc\"");
    }
}
