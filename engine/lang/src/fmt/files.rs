//! File handling for `kiln fmt`: which files a path names (Packer's rules),
//! reading and formatting one file, and atomic in-place writes.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{format_bytes, is_hcl_file_name, FmtError};

/// One thing to format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard input (`-`), formatted to standard output.
    Stdin,
    /// A file on disk.
    File(PathBuf),
}

/// Errors of file discovery and file formatting.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// An explicitly named file that is not a Packer HCL file.
    #[error("file {} is not a HCL file", .0.display())]
    NotHcl(PathBuf),
    /// Reading, listing or writing failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file does not parse (or is not UTF-8); `text` is its content
    /// (lossily decoded) for rendering the diagnostic.
    #[error("failed to parse HCL {}: {error}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Its content.
        text: String,
        /// Where and why it does not parse.
        error: FmtError,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether a directory entry is skipped when listing a directory: dotfiles,
/// editor backups (`*~`) and autosaves (`#...#`).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

/// `dir` joined with `name` the way Go's `filepath.Join` prints it (no
/// leading `./` for the current directory).
fn join_display(dir: &Path, name: &str) -> PathBuf {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// Expand the command-line paths into targets, in order. Directories are
/// listed in name order and yield their `*.pkr.hcl` / `*.pkrvars.hcl`
/// files (ignoring [`is_ignored_name`] entries); subdirectories (not
/// symlinks to directories) are descended only when `recursive`. An explicitly named file must be an
/// HCL file. Errors are returned in place so that other targets still run.
pub fn discover(paths: &[PathBuf], recursive: bool) -> Vec<Result<Target, FileError>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Ok(Target::Stdin));
            continue;
        }
        match fs::metadata(p) {
            Err(e) => out.push(Err(io_err(p)(e))),
            Ok(m) if m.is_dir() => walk_dir(p, recursive, &mut out),
            Ok(_) => {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if is_hcl_file_name(name) {
                    out.push(Ok(Target::File(p.clone())));
                } else {
                    out.push(Err(FileError::NotHcl(p.clone())));
                }
            }
        }
    }
    // A file named twice (`kiln fmt a.pkr.hcl .`) is formatted once: two
    // concurrent workers must not race on it.
    if paths.len() < 2 {
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| match t {
        Ok(Target::File(p)) => seen.insert(fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
        _ => true,
    });
    out
}

fn walk_dir(dir: &Path, recursive: bool, out: &mut Vec<Result<Target, FileError>>) {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.push(Err(io_err(dir)(e)));
            return;
        }
    };
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.push(Err(io_err(dir)(e)));
                continue;
            }
        };
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if is_ignored_name(&name) {
            continue;
        }
        // Like Packer (Lstat), a symlink to a directory is not descended
        // (no loops); a symlink to a file is formatted through the link.
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        names.push((name, is_dir));
    }
    names.sort();
    for (name, is_dir) in names {
        let path = join_display(dir, &name);
        if is_dir {
            if recursive {
                walk_dir(&path, recursive, out);
            }
        } else if is_hcl_file_name(&name) {
            out.push(Ok(Target::File(path)));
        }
    }
}

/// The outcome of formatting one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// The file.
    pub path: PathBuf,
    /// Its content before formatting.
    pub original: String,
    /// Its content formatted (equal to `original` when already formatted).
    pub formatted: String,
}

impl FileOutcome {
    /// Whether formatting changes the file.
    pub fn changed(&self) -> bool {
        self.original != self.formatted
    }
}

/// Format source bytes read from `path` (used for error reporting only).
pub fn format_source(path: &Path, src: Vec<u8>) -> Result<FileOutcome, FileError> {
    match format_bytes(&src) {
        Ok(formatted) => {
            // format_bytes only succeeds on valid UTF-8.
            let original = String::from_utf8(src)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            Ok(FileOutcome {
                path: path.to_path_buf(),
                original,
                formatted,
            })
        }
        Err(error) => Err(FileError::Parse {
            path: path.to_path_buf(),
            text: String::from_utf8_lossy(&src).into_owned(),
            error,
        }),
    }
}

/// Read and format one file; when `write` is set and the result differs,
/// replace the file atomically (see [`write_atomic`]).
pub fn format_file(path: &Path, write: bool) -> Result<FileOutcome, FileError> {
    let src = fs::read(path).map_err(io_err(path))?;
    let outcome = format_source(path, src)?;
    if write && outcome.changed() {
        write_atomic(path, outcome.formatted.as_bytes()).map_err(io_err(path))?;
        tracing::debug!(path = %path.display(), "formatted file written");
    }
    Ok(outcome)
}

/// Format (and, with `write`, rewrite) the file targets among `targets`
/// on all cores. The result is indexed like `targets`: `Some` for each
/// file target (`None` for stdin, errors, or a file whose worker died).
pub fn format_targets(
    targets: &[Result<Target, FileError>],
    write: bool,
) -> Vec<Option<Result<FileOutcome, FileError>>> {
    let jobs: Vec<(usize, &PathBuf)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Ok(Target::File(p)) => Some((i, p)),
            _ => None,
        })
        .collect();
    let mut results: Vec<Option<Result<FileOutcome, FileError>>> =
        (0..targets.len()).map(|_| None).collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs.len() / 8 + 1);
    if workers <= 1 {
        for (i, p) in jobs {
            results[i] = Some(format_file(p, write));
        }
        return results;
    }
    let next = AtomicUsize::new(0);
    type Done = Vec<(usize, Result<FileOutcome, FileError>)>;
    let collected: Vec<Done> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some((i, p)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        mine.push((*i, format_file(p, write)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, r) in collected.into_iter().flatten() {
        results[i] = Some(r);
    }
    results
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replace the contents of `path` atomically: the new bytes go to a
/// temporary file in the same directory (created exclusively, given the
/// original file's permissions and, where allowed, owner, flushed to disk)
/// which is then renamed over the file. Readers see the old or the new file,
/// never a truncated one, even if the process dies midway; a leftover
/// hidden temporary file is the worst case. A symlink is followed: its
/// target is replaced and the link stays.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let real = fs::canonicalize(path)?;
    let meta = fs::metadata(&real)?;
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let mut attempt = 0;
    let (tmp_path, mut file) = loop {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!(".{name}.kiln-tmp{}-{n}", std::process::id()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(contents)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Keep the owner when we may (root, or the same owner); a
            // failure here only means the file now belongs to us.
            let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
        }
        file.set_permissions(meta.permissions())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, &real)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_names() {
        assert!(is_ignored_name(".hidden.pkr.hcl"));
        assert!(is_ignored_name("a.pkr.hcl~"));
        assert!(is_ignored_name("#a.pkr.hcl#"));
        assert!(!is_ignored_name("a.pkr.hcl"));
        assert!(!is_ignored_name("#a.pkr.hcl"));
    }

    #[test]
    fn atomic_write_replaces_content_and_follows_symlinks() {
        let tmp = tempfile::tempdir().expect("tmp");
        let target = tmp.path().join("t.pkr.hcl");
        fs::write(&target, "old").expect("write");
        write_atomic(&target, b"new").expect("atomic write");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        #[cfg(unix)]
        {
            let link = tmp.path().join("l.pkr.hcl");
            std::os::unix::fs::symlink(&target, &link).expect("symlink");
            write_atomic(&link, b"newer").expect("atomic write via link");
            assert!(fs::symlink_metadata(&link)
                .expect("lstat")
                .file_type()
                .is_symlink());
            assert_eq!(fs::read_to_string(&target).expect("read"), "newer");
        }
        let names: Vec<_> = fs::read_dir(tmp.path()).expect("ls").collect();
        assert!(names.len() <= 2, "temporary files left behind");
        assert!(write_atomic(&tmp.path().join("missing"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn recursion_does_not_follow_directory_symlinks() {
        let tmp = tempfile::tempdir().expect("tmp");
        let sub = tmp.path().join("sub");
        fs::create_dir(&sub).expect("mkdir");
        fs::write(sub.join("a.pkr.hcl"), "a = 1\n").expect("write");
        std::os::unix::fs::symlink(tmp.path(), sub.join("loop")).expect("symlink");
        let found = discover(&[tmp.path().to_path_buf()], true);
        let files: Vec<_> = found.into_iter().filter_map(Result::ok).collect();
        assert_eq!(files, vec![Target::File(sub.join("a.pkr.hcl"))]);
    }

    #[test]
    fn a_file_named_twice_is_listed_once() {
        let tmp = tempfile::tempdir().expect("tmp");
        let f = tmp.path().join("a.pkr.hcl");
        fs::write(&f, "a = 1\n").expect("write");
        let found = discover(&[f.clone(), tmp.path().to_path_buf(), f.clone()], false);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn go_style_join() {
        assert_eq!(join_display(Path::new("."), "a"), PathBuf::from("a"));
        assert_eq!(join_display(Path::new("d"), "a"), PathBuf::from("d/a"));
    }
}
