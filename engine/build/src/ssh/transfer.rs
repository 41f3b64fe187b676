//! File transfers over SFTP: streaming in bounded chunks with several
//! writes in flight, directories with Packer's trailing-slash rule, file
//! modes kept.

use std::path::{Path, PathBuf};

use russh_sftp::client::SftpSession;
use russh_sftp::protocol::{FileAttributes, OpenFlags, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use kiln_sdk::communicator::CommError;

/// Bytes read from the source per write call; the SFTP file splits them
/// into packets and keeps up to `IN_FLIGHT` of them outstanding.
const CHUNK: usize = 256 * 1024;
/// Outstanding SFTP requests per transfer (OpenSSH's `sftp` uses 64).
pub const IN_FLIGHT: usize = 64;
/// Data bytes per SFTP write/read request.
pub const PACKET: u32 = 64 * 1024;

/// Settings of the SFTP sessions kiln opens.
pub fn sftp_config() -> russh_sftp::client::Config {
    russh_sftp::client::Config {
        max_concurrent_reads: IN_FLIGHT,
        max_concurrent_writes: IN_FLIGHT,
        max_write_packet_len: PACKET + 1024,
        request_timeout_secs: 120,
        ..Default::default()
    }
}

fn sftp_err(what: &str, path: &str, e: impl std::fmt::Display) -> CommError {
    CommError::Transfer(format!("{what} {path}: {e}"))
}

fn is_not_found(e: &russh_sftp::client::error::Error) -> bool {
    matches!(e, russh_sftp::client::error::Error::Status(s) if s.status_code == StatusCode::NoSuchFile)
}

/// Stream `src` into the remote file `dst`.
pub async fn upload(
    sftp: &SftpSession,
    dst: &str,
    src: &mut (dyn AsyncRead + Send + Unpin),
    mode: Option<u32>,
) -> Result<u64, CommError> {
    let mut attrs = FileAttributes::empty();
    attrs.permissions = mode.map(|m| m & 0o7777);
    let mut file = sftp
        .open_with_flags_and_attributes(
            dst,
            OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE,
            attrs,
        )
        .await
        .map_err(|e| sftp_err("uploading to", dst, e))?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf).await.map_err(|e| {
            CommError::Transfer(format!("reading the upload source for {dst}: {e}"))
        })?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n])
            .await
            .map_err(|e| sftp_err("uploading to", dst, e))?;
        total += n as u64;
    }
    file.shutdown()
        .await
        .map_err(|e| sftp_err("uploading to", dst, e))?;
    if let Some(mode) = mode {
        // The remote umask applied at creation; set the mode exactly.
        let mut attrs = FileAttributes::empty();
        attrs.permissions = Some(mode & 0o7777);
        sftp.set_metadata(dst, attrs)
            .await
            .map_err(|e| sftp_err("setting the mode of", dst, e))?;
    }
    Ok(total)
}

/// Stream the remote file `src` into `dst`.
pub async fn download(
    sftp: &SftpSession,
    src: &str,
    dst: &mut (dyn AsyncWrite + Send + Unpin),
) -> Result<u64, CommError> {
    let mut file = sftp
        .open_with_flags(src, OpenFlags::READ)
        .await
        .map_err(|e| sftp_err("downloading", src, e))?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| sftp_err("downloading", src, e))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n])
            .await
            .map_err(|e| CommError::Transfer(format!("writing the download of {src}: {e}")))?;
        total += n as u64;
    }
    dst.flush()
        .await
        .map_err(|e| CommError::Transfer(format!("writing the download of {src}: {e}")))?;
    let _ = file.close().await;
    Ok(total)
}

/// Join remote paths with `/`.
fn rjoin(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether `rel` (a `/`-separated path relative to the copied root) is
/// excluded.
fn excluded(rel: &str, exclude: &[String]) -> bool {
    exclude.iter().any(|e| {
        rel == e.trim_matches('/') || rel.starts_with(&format!("{}/", e.trim_matches('/')))
    })
}

async fn remote_is_dir(sftp: &SftpSession, path: &str) -> Result<Option<bool>, CommError> {
    match sftp.metadata(path).await {
        Ok(m) => Ok(Some(m.is_dir())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(sftp_err("reading", path, e)),
    }
}

async fn mkdir(sftp: &SftpSession, path: &str, mode: u32) -> Result<(), CommError> {
    match remote_is_dir(sftp, path).await? {
        Some(true) => {}
        Some(false) => {
            return Err(CommError::Transfer(format!(
                "uploading to {path}: a file exists where a directory is needed"
            )))
        }
        None => sftp
            .create_dir(path)
            .await
            .map_err(|e| sftp_err("creating directory", path, e))?,
    }
    let mut attrs = FileAttributes::empty();
    attrs.permissions = Some(mode & 0o7777);
    sftp.set_metadata(path, attrs)
        .await
        .map_err(|e| sftp_err("setting the mode of", path, e))
}

#[cfg(unix)]
fn local_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn local_mode(meta: &std::fs::Metadata) -> u32 {
    if meta.is_dir() {
        0o755
    } else {
        0o644
    }
}

/// Upload a local directory: `src` ending in `/` copies its contents into
/// `dst`; otherwise `dst/NAME` (or `dst` itself when it does not exist, as
/// `scp -r` does) receives the directory.
pub async fn upload_dir(
    sftp: &SftpSession,
    dst: &str,
    src: &Path,
    exclude: &[String],
) -> Result<(), CommError> {
    let src_str = src.to_string_lossy();
    let contents_only = src_str.ends_with('/');
    let meta = tokio::fs::metadata(src)
        .await
        .map_err(|e| CommError::Transfer(format!("reading {}: {e}", src.display())))?;
    if !meta.is_dir() {
        return Err(CommError::Transfer(format!(
            "{} is not a directory",
            src.display()
        )));
    }
    let root = if contents_only {
        dst.to_string()
    } else {
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match remote_is_dir(sftp, dst).await? {
            Some(true) => rjoin(dst, &name),
            _ => dst.to_string(),
        }
    };
    mkdir(sftp, &root, local_mode(&meta)).await?;
    // Depth-first walk with an explicit stack (no recursion in async).
    let mut stack: Vec<(PathBuf, String, String)> = vec![(src.to_path_buf(), root, String::new())];
    while let Some((local, remote, rel)) = stack.pop() {
        let mut entries = tokio::fs::read_dir(&local)
            .await
            .map_err(|e| CommError::Transfer(format!("reading {}: {e}", local.display())))?;
        let mut list = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| CommError::Transfer(format!("reading {}: {e}", local.display())))?
        {
            list.push(entry);
        }
        list.sort_by_key(|e| e.file_name());
        for entry in list {
            let name = entry.file_name().to_string_lossy().into_owned();
            let entry_rel = rjoin(&rel, &name);
            if excluded(&entry_rel, exclude) {
                continue;
            }
            let path = entry.path();
            // Follow symlinks, as scp does.
            let meta = tokio::fs::metadata(&path)
                .await
                .map_err(|e| CommError::Transfer(format!("reading {}: {e}", path.display())))?;
            let target = rjoin(&remote, &name);
            if meta.is_dir() {
                mkdir(sftp, &target, local_mode(&meta)).await?;
                stack.push((path, target, entry_rel));
            } else {
                let mut f = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| CommError::Transfer(format!("reading {}: {e}", path.display())))?;
                upload(sftp, &target, &mut f, Some(local_mode(&meta))).await?;
            }
        }
    }
    Ok(())
}

/// Download a remote directory (the trailing-slash rule applied to `src`).
pub async fn download_dir(
    sftp: &SftpSession,
    src: &str,
    dst: &Path,
    exclude: &[String],
) -> Result<(), CommError> {
    let contents_only = src.ends_with('/');
    let trimmed = if src.len() > 1 {
        src.trim_end_matches('/')
    } else {
        src
    };
    let meta = sftp
        .metadata(trimmed)
        .await
        .map_err(|e| sftp_err("downloading", src, e))?;
    if !meta.is_dir() {
        return Err(CommError::Transfer(format!(
            "downloading {src}: not a directory"
        )));
    }
    let root = if contents_only {
        dst.to_path_buf()
    } else {
        let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
        if dst.is_dir() {
            dst.join(name)
        } else {
            dst.to_path_buf()
        }
    };
    let local_err =
        |p: &Path, e: std::io::Error| CommError::Transfer(format!("writing {}: {e}", p.display()));
    tokio::fs::create_dir_all(&root)
        .await
        .map_err(|e| local_err(&root, e))?;
    set_local_mode(&root, meta.permissions).await;
    let mut stack: Vec<(String, PathBuf, String)> =
        vec![(trimmed.to_string(), root, String::new())];
    while let Some((remote, local, rel)) = stack.pop() {
        let entries = sftp
            .read_dir(remote.clone())
            .await
            .map_err(|e| sftp_err("listing", &remote, e))?;
        let mut list: Vec<_> = entries
            .filter(|e| e.file_name() != "." && e.file_name() != "..")
            .collect();
        list.sort_by_key(|e| e.file_name());
        for entry in list {
            let name = entry.file_name();
            let entry_rel = rjoin(&rel, &name);
            if excluded(&entry_rel, exclude) {
                continue;
            }
            let rpath = rjoin(&remote, &name);
            let lpath = local.join(&name);
            // Follow symlinks, as scp does.
            let meta = sftp
                .metadata(rpath.clone())
                .await
                .map_err(|e| sftp_err("reading", &rpath, e))?;
            if meta.is_dir() {
                tokio::fs::create_dir_all(&lpath)
                    .await
                    .map_err(|e| local_err(&lpath, e))?;
                set_local_mode(&lpath, meta.permissions).await;
                stack.push((rpath, lpath, entry_rel));
            } else {
                let mut f = tokio::fs::File::create(&lpath)
                    .await
                    .map_err(|e| local_err(&lpath, e))?;
                download(sftp, &rpath, &mut f).await?;
                set_local_mode(&lpath, meta.permissions).await;
            }
        }
    }
    Ok(())
}

async fn set_local_mode(path: &Path, mode: Option<u32>) {
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        let _ =
            tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o7777)).await;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}
