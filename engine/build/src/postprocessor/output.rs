//! What the file-writing post-processors share: rendering an `output`
//! template (`packer_{{.BuildName}}_{{.BuilderType}}…`) and writing a file
//! atomically (a temporary beside it, renamed into place only when
//! complete, removed on failure or cancellation).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use kiln_lang::template::json::interpolate::{interpolate, InterpContext};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, CancelToken};

/// Render a post-processor's `output` (or `custom_data`) template with
/// Packer's variables: `{{.BuildName}}`, `{{.BuilderType}}`, the builder's
/// generated data (`{{.ID}}`…), `{{build_name}}`, `{{build_type}}`,
/// `{{timestamp}}`…, plus `extra` (e.g. `ChecksumType`).
pub fn render(
    component: &str,
    field: &str,
    template: &str,
    ctx: &ProvisionContext<'_>,
    extra: &[(&str, &str)],
) -> Result<String, BuildError> {
    let mut fields: BTreeMap<String, String> = ctx.generated.clone();
    fields.insert("BuildName".into(), ctx.build_name.to_string());
    fields.insert("BuilderType".into(), ctx.builder_type.to_string());
    fields.insert("PackerRunUUID".into(), ctx.run_uuid.to_string());
    for (k, v) in extra {
        fields.insert((*k).to_string(), (*v).to_string());
    }
    let ictx = InterpContext {
        build_name: Some(ctx.build_name.to_string()),
        build_type: Some(ctx.builder_type.to_string()),
        pwd: ctx.cwd.to_path_buf(),
        fields,
        ..InterpContext::now()
    };
    interpolate(template, &ictx).map_err(|e| {
        BuildError::config(format!(
            "{component}: error interpolating {field} {template:?}: {e}"
        ))
    })
}

/// A file being written beside its final path. Dropped without
/// [`AtomicFile::commit`], the temporary is removed.
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<File>,
    tmp: PathBuf,
    path: PathBuf,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl AtomicFile {
    /// Create the temporary (and the parent directories, like Packer).
    pub fn create(path: &Path) -> io::Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(
            ".{name}.kiln-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::create(&tmp)?;
        Ok(AtomicFile {
            file: Some(file),
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// Flush to disk and rename over the final path.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_all()?;
        }
        std::fs::rename(&self.tmp, &self.path)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match &mut self.file {
            Some(f) => f.seek(pos),
            None => Err(io::Error::other("file already committed")),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Copy `from` into `to` in 256 KiB chunks (bounded memory), stopping with
/// an error as soon as the run is cancelled.
pub fn copy_cancellable(
    from: &mut dyn Read,
    to: &mut dyn Write,
    cancel: &CancelToken,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        if cancel.is_cancelled() {
            return Err(io::Error::other("cancelled"));
        }
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// Resolve an artifact or output path against the build's directory.
pub fn resolve(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_atomic_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.bin");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            0
        );
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"whole").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            1
        );
    }
}
