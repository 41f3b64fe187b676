//! A script (or any small text) written to a private temporary file on the
//! machine kiln runs on, removed when dropped: `shell-local` runs it,
//! `shell` uploads it, `ansible` hands it to `ansible-playbook`.

use std::io::Write;
use std::path::{Path, PathBuf};

use kiln_sdk::BuildError;

#[derive(Debug)]
pub(crate) struct TempScript(PathBuf);

impl TempScript {
    /// `#!shebang` followed by `lines`, executable by its owner only.
    pub fn write(prefix: &str, shebang: &str, lines: &[String]) -> Result<Self, BuildError> {
        Self::create(
            prefix,
            0o700,
            &format!("#!{shebang}\n{}\n", lines.join("\n")),
        )
    }

    /// `content` as is, readable by its owner only (0600).
    pub fn write_raw(prefix: &str, content: &str) -> Result<Self, BuildError> {
        Self::create(prefix, 0o600, content)
    }

    fn create(prefix: &str, mode: u32, content: &str) -> Result<Self, BuildError> {
        let dir = std::env::temp_dir();
        for _ in 0..16u32 {
            let path = dir.join(format!(
                "{prefix}-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(mode);
            }
            match opts.open(&path) {
                Ok(mut f) => {
                    // Removed on drop even if writing fails below.
                    let file = TempScript(path);
                    f.write_all(content.as_bytes()).map_err(|e| {
                        BuildError::Step(format!("writing {}: {e}", file.0.display()))
                    })?;
                    return Ok(file);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(BuildError::Step(format!(
                        "creating {}: {e}",
                        path.display()
                    )))
                }
            }
        }
        Err(BuildError::Step(
            "could not create a temporary file".to_string(),
        ))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempScript {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_private_and_removed_on_drop() {
        let t = TempScript::write_raw("kiln-test", "secret").expect("temp file");
        let path = t.path().to_path_buf();
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(t);
        assert!(!path.exists());
    }
}
