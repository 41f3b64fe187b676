//! The manifest's lock: `OUTPUT.lock` (the name Packer uses), held with
//! `flock(2)` while a build reads, extends and replaces the manifest, so
//! parallel builds of one run and concurrent kiln processes never lose an
//! entry. A lock file left by a crash is no obstacle (the lock dies with
//! its holder); the file is removed when the lock is released.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held lock; dropping it removes the lock file and releases the lock.
#[derive(Debug)]
pub struct ManifestLock {
    path: PathBuf,
    _file: File,
}

impl ManifestLock {
    /// Wait (polling, up to `timeout`) for the lock on `path`.
    pub fn acquire(path: &Path, timeout: Duration) -> io::Result<Self> {
        let start = Instant::now();
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)?;
            // SAFETY: flock on a descriptor we own; no memory is involved.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if rc == 0 {
                // The holder before us may have removed the file after we
                // opened it: only a lock on the file at `path` counts.
                let ours = file.metadata()?;
                match std::fs::metadata(path) {
                    Ok(m) if m.dev() == ours.dev() && m.ino() == ours.ino() => {
                        return Ok(ManifestLock {
                            path: path.to_path_buf(),
                            _file: file,
                        })
                    }
                    _ => continue,
                }
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(err);
            }
            if start.elapsed() > timeout {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "timed out after {}s waiting for the lock {}",
                        timeout.as_secs(),
                        path.display()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ManifestLock {
    fn drop(&mut self) {
        // Remove while still holding the lock; waiters re-check the inode.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn excludes_other_holders_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json.lock");
        let inside = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (path, inside, max) = (path.clone(), inside.clone(), max.clone());
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let _l = ManifestLock::acquire(&path, Duration::from_secs(60)).unwrap();
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(1));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 1);
        assert!(!path.exists());
    }
}
