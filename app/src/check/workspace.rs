//! A scratch copy of the files to check: repository paths from the API
//! are validated (no `..`, no absolute paths, no NUL, no empty or `.`
//! components) before anything is written under the temp directory.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsafe path from the GitHub API: {0:?}")]
pub struct UnsafePath(pub String);

/// `root` joined with the repository path `p`, or an error when `p` could
/// escape `root`.
pub fn safe_join(root: &Path, p: &str) -> Result<PathBuf, UnsafePath> {
    let bad = || UnsafePath(p.to_string());
    if p.is_empty() || p.contains('\0') || p.contains('\\') || p.starts_with('/') {
        return Err(bad());
    }
    let mut out = root.to_path_buf();
    for comp in p.split('/') {
        if comp.is_empty() || comp == "." || comp == ".." {
            return Err(bad());
        }
        out.push(comp);
    }
    Ok(out)
}

/// Write `content` at repository path `p` under `root`.
pub fn write(root: &Path, p: &str, content: &[u8]) -> Result<PathBuf, WriteError> {
    let path = safe_join(root, p)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| WriteError::Io(p.to_string(), e))?;
    }
    std::fs::write(&path, content).map_err(|e| WriteError::Io(p.to_string(), e))?;
    Ok(path)
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    #[error("writing {0}: {1}")]
    Io(String, std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escapes() {
        let r = Path::new("/tmp/x");
        for p in [
            "../etc/passwd",
            "a/../../b",
            "/etc/passwd",
            "a\0b",
            "",
            "a//b",
            "./a",
            "a\\..\\b",
        ] {
            assert!(safe_join(r, p).is_err(), "{p:?}");
        }
        assert_eq!(
            safe_join(r, "a/b.pkr.hcl").ok(),
            Some(PathBuf::from("/tmp/x/a/b.pkr.hcl"))
        );
    }
}
