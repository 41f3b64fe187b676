//! The `docker` communicator: commands through the exec API (the
//! multiplexed stdout/stderr stream, the exit code from exec inspect) and
//! files through the archive API (`PUT`/`GET /containers/{id}/archive`),
//! with tar streams built and read on the fly so memory use does not
//! depend on file sizes.

use std::path::{Component as PathComponent, Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use bollard::Docker;
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::OnceCell;
use tokio_util::io::{ReaderStream, StreamReader};

use kiln_sdk::communicator::{CommError, Communicator, ExitStatus, OutputSink, OutputStream};

/// Size of the in-flight window between the tar writer and the HTTP body.
const PIPE: usize = 256 * 1024;

/// A connection to one running container.
#[derive(Clone)]
pub struct DockerCommunicator {
    docker: Docker,
    container: String,
    /// `exec_user`: who commands run as (the image's user when `None`).
    exec_user: Option<String>,
    /// `fix_upload_owner`: chown uploads to the exec user.
    fix_upload_owner: bool,
    /// `uid:gid` of the exec user, looked up on the first upload.
    owner: Arc<OnceCell<String>>,
}

impl std::fmt::Debug for DockerCommunicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerCommunicator")
            .field("container", &self.container)
            .field("exec_user", &self.exec_user)
            .finish()
    }
}

fn api(what: impl std::fmt::Display, e: bollard::errors::Error) -> CommError {
    CommError::Remote(format!("{what}: {}", crate::docker::client::describe(&e)))
}

fn transfer(what: impl std::fmt::Display, e: impl std::fmt::Display) -> CommError {
    CommError::Transfer(format!("{what}: {e}"))
}

/// Split a remote path into its parent directory and file name.
fn split_remote(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/".to_string(), name.to_string()),
        Some((dir, name)) => (dir.to_string(), name.to_string()),
        None => (".".to_string(), trimmed.to_string()),
    }
}

/// Single-quote for `/bin/sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A relative path inside an archive, refusing anything that would escape
/// its destination.
fn safe_relative(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            PathComponent::Normal(n) => out.push(n),
            PathComponent::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

fn excluded(rel: &Path, exclude: &[String]) -> bool {
    exclude.iter().any(|x| {
        let x = Path::new(x.trim_end_matches('/'));
        rel == x || rel.starts_with(x)
    })
}

/// Splits a byte stream into lines for an [`OutputSink`].
struct LineBuffer {
    stream: OutputStream,
    pending: Vec<u8>,
}

impl LineBuffer {
    fn new(stream: OutputStream) -> Self {
        LineBuffer {
            stream,
            pending: Vec::new(),
        }
    }

    fn push(&mut self, bytes: &[u8], sink: OutputSink<'_>) {
        self.pending.extend_from_slice(bytes);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]);
            sink(self.stream, line.trim_end_matches('\r'));
        }
    }

    fn finish(&mut self, sink: OutputSink<'_>) {
        if !self.pending.is_empty() {
            let line = String::from_utf8_lossy(&self.pending).into_owned();
            self.pending.clear();
            sink(self.stream, line.trim_end_matches('\r'));
        }
    }
}

impl DockerCommunicator {
    pub fn new(
        docker: Docker,
        container: impl Into<String>,
        exec_user: Option<String>,
        fix_upload_owner: bool,
    ) -> Self {
        DockerCommunicator {
            docker,
            container: container.into(),
            exec_user,
            fix_upload_owner,
            owner: Arc::new(OnceCell::new()),
        }
    }

    /// Run `/bin/sh -c command` as `user`, streaming output to `sink`.
    async fn exec(
        &self,
        command: &str,
        user: Option<&str>,
        sink: OutputSink<'_>,
    ) -> Result<ExitStatus, CommError> {
        let config = ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            cmd: Some(vec![
                "/bin/sh".to_string(),
                "-c".to_string(),
                command.to_string(),
            ]),
            user: user.map(str::to_string),
            ..Default::default()
        };
        let created = self
            .docker
            .create_exec(&self.container, config)
            .await
            .map_err(|e| api(format_args!("creating exec in {}", self.container), e))?;
        let started = self
            .docker
            .start_exec(
                &created.id,
                Some(StartExecOptions {
                    detach: false,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| api("starting exec", e))?;
        let mut out = LineBuffer::new(OutputStream::Stdout);
        let mut err = LineBuffer::new(OutputStream::Stderr);
        if let StartExecResults::Attached { mut output, .. } = started {
            while let Some(chunk) = output.next().await {
                match chunk
                    .map_err(|e| CommError::Disconnected(crate::docker::client::describe(&e)))?
                {
                    bollard::container::LogOutput::StdErr { message } => err.push(&message, sink),
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::Console { message } => {
                        out.push(&message, sink)
                    }
                    bollard::container::LogOutput::StdIn { .. } => {}
                }
            }
        }
        out.finish(sink);
        err.finish(sink);
        // The stream ends when the process does; the daemon may record the
        // exit code a moment later.
        for _ in 0..100 {
            let inspect = self
                .docker
                .inspect_exec(&created.id)
                .await
                .map_err(|e| api("inspecting exec", e))?;
            if inspect.running != Some(true) {
                if let Some(code) = inspect.exit_code {
                    return Ok(ExitStatus {
                        code: Some(u32::try_from(code).unwrap_or(u32::MAX)),
                    });
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(CommError::Remote(
            "the command's exit code was not reported by the daemon".to_string(),
        ))
    }

    /// Run a command as root, failing on a non-zero exit (with its output).
    async fn must(&self, command: &str) -> Result<String, CommError> {
        let out = std::sync::Mutex::new(String::new());
        let sink = |_: OutputStream, line: &str| {
            if let Ok(mut o) = out.lock() {
                o.push_str(line);
                o.push('\n');
            }
        };
        let status = self.exec(command, Some("root"), &sink).await?;
        let out = out.into_inner().unwrap_or_default();
        match status.code {
            Some(0) => Ok(out),
            code => Err(CommError::Remote(format!(
                "{command:?} exited with {code:?}: {}",
                out.trim()
            ))),
        }
    }

    /// `chown -R` an uploaded path to the exec user (`fix_upload_owner`).
    async fn fix_owner(&self, path: &str) -> Result<(), CommError> {
        if !self.fix_upload_owner {
            return Ok(());
        }
        let owner = self
            .owner
            .get_or_try_init(|| async {
                let out = std::sync::Mutex::new(String::new());
                let sink = |_: OutputStream, line: &str| {
                    if let Ok(mut o) = out.lock() {
                        o.push_str(line);
                    }
                };
                let user = self.exec_user.as_deref();
                self.exec("echo $(id -u):$(id -g)", user, &sink).await?;
                Ok::<_, CommError>(out.into_inner().unwrap_or_default().trim().to_string())
            })
            .await?;
        if owner.is_empty() || owner == "0:0" {
            return Ok(());
        }
        self.must(&format!("chown -R {owner} {}", sh_quote(path)))
            .await
            .map(|_| ())
    }

    /// `PUT /containers/{id}/archive?path=dir` with the tar `write` produces,
    /// streamed through a bounded pipe.
    async fn put_archive<F, Fut>(&self, dir: &str, write: F) -> Result<(), CommError>
    where
        F: FnOnce(tokio_tar::Builder<tokio::io::DuplexStream>) -> Fut,
        Fut: std::future::Future<Output = std::io::Result<tokio::io::DuplexStream>>,
    {
        let (writer, reader) = tokio::io::duplex(PIPE);
        let body = bollard::body_try_stream(ReaderStream::with_capacity(reader, 64 * 1024));
        let upload = self.docker.upload_to_container(
            &self.container,
            Some(UploadToContainerOptions {
                path: dir.to_string(),
                ..Default::default()
            }),
            body,
        );
        let produce = async move {
            let mut w = write(tokio_tar::Builder::new(writer)).await?;
            w.shutdown().await
        };
        let (up, produced) = tokio::join!(upload, produce);
        up.map_err(|e| {
            CommError::Transfer(format!(
                "uploading to {dir}: {}",
                crate::docker::client::describe(&e)
            ))
        })?;
        produced.map_err(|e| transfer(format_args!("writing the archive for {dir}"), e))
    }

    /// `GET /containers/{id}/archive?path=src` as a tar reader.
    fn get_archive(&self, src: &str) -> tokio_tar::Archive<impl AsyncRead + Unpin + Send + use<>> {
        let stream = self
            .docker
            .download_from_container(
                &self.container,
                Some(DownloadFromContainerOptions {
                    path: src.to_string(),
                }),
            )
            .map_err(|e| std::io::Error::other(crate::docker::client::describe(&e)));
        tokio_tar::Archive::new(StreamReader::new(Box::pin(stream)))
    }
}

/// A spooled copy of an upload's source (its size goes in the tar header
/// before the content), deleted on drop.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[async_trait]
impl Communicator for DockerCommunicator {
    async fn run(&self, command: &str, output: OutputSink<'_>) -> Result<ExitStatus, CommError> {
        self.exec(command, self.exec_user.as_deref(), output).await
    }

    async fn upload(
        &self,
        dst: &str,
        src: &mut (dyn AsyncRead + Send + Unpin),
        mode: Option<u32>,
    ) -> Result<u64, CommError> {
        let spool = Spool(std::env::temp_dir().join(format!(
            "kiln-docker-upload-{}",
            uuid::Uuid::new_v4().simple()
        )));
        let size = {
            let mut f = tokio::fs::File::create(&spool.0)
                .await
                .map_err(|e| transfer(format_args!("spooling {dst}"), e))?;
            let n = tokio::io::copy(src, &mut f)
                .await
                .map_err(|e| transfer(format_args!("spooling {dst}"), e))?;
            f.flush()
                .await
                .map_err(|e| transfer(format_args!("spooling {dst}"), e))?;
            n
        };
        let (dir, name) = split_remote(dst);
        let path = spool.0.clone();
        self.put_archive(&dir, |mut b| async move {
            let mut header = tokio_tar::Header::new_gnu();
            header.set_size(size);
            header.set_mode(mode.unwrap_or(0o644));
            header.set_entry_type(tokio_tar::EntryType::Regular);
            header.set_mtime(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            );
            let file = tokio::fs::File::open(&path).await?;
            b.append_data(&mut header, &name, file).await?;
            b.into_inner().await
        })
        .await?;
        self.fix_owner(dst).await?;
        Ok(size)
    }

    async fn upload_dir(&self, dst: &str, src: &Path, exclude: &[String]) -> Result<(), CommError> {
        let contents_only = src.to_string_lossy().ends_with('/');
        let root = PathBuf::from(src.to_string_lossy().trim_end_matches('/'));
        let meta = tokio::fs::metadata(&root)
            .await
            .map_err(|e| transfer(format_args!("reading {}", root.display()), e))?;
        if !meta.is_dir() {
            return Err(CommError::Transfer(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        let prefix = if contents_only {
            PathBuf::new()
        } else {
            PathBuf::from(root.file_name().unwrap_or_default())
        };
        self.must(&format!("mkdir -p {}", sh_quote(dst))).await?;
        let exclude = exclude.to_vec();
        let fixed = if contents_only {
            dst.to_string()
        } else {
            format!("{}/{}", dst.trim_end_matches('/'), prefix.to_string_lossy())
        };
        self.put_archive(dst, |mut b| async move {
            b.follow_symlinks(false);
            if !prefix.as_os_str().is_empty() {
                b.append_dir(&prefix, &root).await?;
            }
            let mut stack = vec![PathBuf::new()];
            while let Some(rel) = stack.pop() {
                let mut dir = tokio::fs::read_dir(root.join(&rel)).await?;
                let mut names = Vec::new();
                while let Some(entry) = dir.next_entry().await? {
                    names.push(entry.file_name());
                }
                names.sort();
                for name in names {
                    let child = rel.join(&name);
                    if excluded(&child, &exclude) {
                        continue;
                    }
                    let full = root.join(&child);
                    let ft = tokio::fs::symlink_metadata(&full).await?.file_type();
                    b.append_path_with_name(&full, prefix.join(&child)).await?;
                    if ft.is_dir() {
                        stack.push(child);
                    }
                }
            }
            b.into_inner().await
        })
        .await?;
        self.fix_owner(&fixed).await
    }

    async fn download(
        &self,
        src: &str,
        dst: &mut (dyn AsyncWrite + Send + Unpin),
    ) -> Result<u64, CommError> {
        let mut archive = self.get_archive(src);
        let mut entries = archive
            .entries()
            .map_err(|e| transfer(format_args!("downloading {src}"), e))?;
        while let Some(entry) = entries.next().await {
            let mut entry = entry.map_err(|e| transfer(format_args!("downloading {src}"), e))?;
            let kind = entry.header().entry_type();
            if kind.is_dir() {
                return Err(CommError::Transfer(format!("{src} is a directory")));
            }
            if kind.is_file() {
                let n = tokio::io::copy(&mut entry, dst)
                    .await
                    .map_err(|e| transfer(format_args!("downloading {src}"), e))?;
                dst.flush()
                    .await
                    .map_err(|e| transfer(format_args!("downloading {src}"), e))?;
                return Ok(n);
            }
        }
        Err(CommError::Transfer(format!(
            "downloading {src}: no such file in the container"
        )))
    }

    async fn download_dir(
        &self,
        src: &str,
        dst: &Path,
        exclude: &[String],
    ) -> Result<(), CommError> {
        let contents_only = src.ends_with('/');
        let trimmed = src.trim_end_matches('/');
        let source = if trimmed.is_empty() { "/" } else { trimmed };
        tokio::fs::create_dir_all(dst)
            .await
            .map_err(|e| transfer(format_args!("creating {}", dst.display()), e))?;
        let mut archive = self.get_archive(source);
        let mut entries = archive
            .entries()
            .map_err(|e| transfer(format_args!("downloading {src}"), e))?;
        let mut seen = false;
        while let Some(entry) = entries.next().await {
            let mut entry = entry.map_err(|e| transfer(format_args!("downloading {src}"), e))?;
            seen = true;
            let path = entry
                .path()
                .map_err(|e| transfer(format_args!("downloading {src}"), e))?
                .into_owned();
            let Some(rel) = safe_relative(&path) else {
                return Err(CommError::Transfer(format!(
                    "downloading {src}: unsafe path {} in the archive",
                    path.display()
                )));
            };
            // The archive's entries start with the directory's own name.
            let inner: PathBuf = rel.components().skip(1).collect();
            if excluded(&inner, exclude) && !inner.as_os_str().is_empty() {
                continue;
            }
            let target = if contents_only {
                if inner.as_os_str().is_empty() {
                    continue;
                }
                dst.join(&inner)
            } else {
                dst.join(&rel)
            };
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| transfer(format_args!("creating {}", parent.display()), e))?;
            }
            entry
                .unpack(&target)
                .await
                .map_err(|e| transfer(format_args!("writing {}", target.display()), e))?;
        }
        if !seen {
            return Err(CommError::Transfer(format!(
                "downloading {src}: nothing found in the container"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_remote_paths() {
        assert_eq!(split_remote("/tmp/a.txt"), ("/tmp".into(), "a.txt".into()));
        assert_eq!(split_remote("/a"), ("/".into(), "a".into()));
        assert_eq!(split_remote("/tmp/d/"), ("/tmp".into(), "d".into()));
    }

    #[test]
    fn line_buffer_joins_partial_chunks() {
        let lines = std::sync::Mutex::new(Vec::new());
        let sink = |s: OutputStream, l: &str| lines.lock().unwrap().push((s, l.to_string()));
        let mut b = LineBuffer::new(OutputStream::Stdout);
        b.push(b"he", &sink);
        b.push(b"llo\nwor", &sink);
        b.push(b"ld\r\nlast", &sink);
        b.finish(&sink);
        let got: Vec<String> = lines
            .into_inner()
            .unwrap()
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(got, ["hello", "world", "last"]);
    }

    #[test]
    fn refuses_escaping_paths() {
        assert!(safe_relative(Path::new("../x")).is_none());
        assert!(safe_relative(Path::new("/etc/x")).is_none());
        assert_eq!(
            safe_relative(Path::new("./a/b")),
            Some(PathBuf::from("a/b"))
        );
    }
}
