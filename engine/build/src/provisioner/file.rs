//! Packer's `file` provisioner: `source` / `sources` / `content` →
//! `destination` on the machine (`direction = "upload"`, the default), or
//! remote `source(s)` → local `destination` (`direction = "download"`).
//! Directories follow the trailing-slash rule; `generated = true` defers
//! the source check from prepare to run time (the file is made during the
//! build).

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{ProvisionContext, Provisioner};
use kiln_lang::template::model::Component;
use kiln_sdk::communicator::{CommError, Communicator};
use kiln_sdk::{BuildError, Settings};

const WHAT: &str = "file provisioner";

/// The file name `content` gets when `destination` is a directory.
const CONTENT_NAME: &str = "pkr-file-content";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Upload,
    Download,
}

#[derive(Debug)]
pub struct FileProvisioner {
    sources: Vec<String>,
    content: Option<String>,
    destination: String,
    direction: Direction,
}

impl FileProvisioner {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of(WHAT, c)?;
        let mut sources = s.string_list("sources")?;
        if let Some(src) = s.string("source")?.filter(|s| !s.is_empty()) {
            sources.push(src);
        }
        let content = s.string("content")?;
        let direction = match s.string("direction")?.as_deref() {
            None | Some("") | Some("upload") => Direction::Upload,
            Some("download") => Direction::Download,
            Some(other) => {
                return Err(BuildError::config(format!(
                    "{WHAT}: direction must be one of: download, upload (got {other:?})"
                )))
            }
        };
        if sources.is_empty() && content.is_none() {
            return Err(BuildError::config(format!(
                "{WHAT}: Source must be specified."
            )));
        }
        if !sources.is_empty() && content.is_some() {
            return Err(BuildError::config(format!(
                "{WHAT}: Cannot specify both source(s) and content"
            )));
        }
        if direction == Direction::Download && content.is_some() {
            return Err(BuildError::config(format!(
                "{WHAT}: content cannot be downloaded; set source"
            )));
        }
        let destination = s.string("destination")?.unwrap_or_default();
        if destination.is_empty() {
            return Err(BuildError::config(format!(
                "{WHAT}: Destination must be specified."
            )));
        }
        let generated = s.bool("generated")?.unwrap_or(false);
        if direction == Direction::Upload && !generated {
            // Relative to the working directory kiln runs in, as in Packer.
            for src in &sources {
                if let Err(e) = std::fs::metadata(src) {
                    return Err(BuildError::config(format!(
                        "{WHAT}: Bad source '{src}': {e}"
                    )));
                }
            }
        }
        Ok(FileProvisioner {
            sources,
            content,
            destination,
            direction,
        })
    }

    async fn upload(
        &self,
        ctx: &ProvisionContext<'_>,
        comm: &dyn Communicator,
    ) -> Result<(), BuildError> {
        if let Some(content) = &self.content {
            let dst = if self.destination.ends_with('/') {
                format!("{}{CONTENT_NAME}", self.destination)
            } else {
                self.destination.clone()
            };
            ctx.ui.say(format!("Uploading content => {dst}"));
            comm.upload(&dst, &mut content.as_bytes(), Some(0o644))
                .await
                .map_err(|e| failed(ctx, "Upload", e))?;
            return Ok(());
        }
        for src in &self.sources {
            let dst = &self.destination;
            ctx.ui.say(format!("Uploading {src} => {dst}"));
            let local = ctx.cwd.join(src);
            let meta = tokio::fs::metadata(&local)
                .await
                .map_err(|e| BuildError::Step(format!("Bad source '{src}': {e}")))?;
            if meta.is_dir() {
                // Keep the trailing slash: it decides what is copied.
                let local = if src.ends_with('/') && !local.to_string_lossy().ends_with('/') {
                    PathBuf::from(format!("{}/", local.display()))
                } else {
                    local
                };
                comm.upload_dir(dst, &local, &[])
                    .await
                    .map_err(|e| failed(ctx, "Upload", e))?;
                continue;
            }
            let filedst = if dst.ends_with('/') {
                format!(
                    "{dst}{}",
                    local
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                )
            } else {
                dst.clone()
            };
            let mut f = tokio::fs::File::open(&local)
                .await
                .map_err(|e| BuildError::Step(format!("Bad source '{src}': {e}")))?;
            comm.upload(&filedst, &mut f, Some(mode_of(&meta)))
                .await
                .map_err(|e| failed(ctx, "Upload", e))?;
        }
        Ok(())
    }

    async fn download(
        &self,
        ctx: &ProvisionContext<'_>,
        comm: &dyn Communicator,
    ) -> Result<(), BuildError> {
        for src in &self.sources {
            let mut dst = self.destination.clone();
            ctx.ui.say(format!("Downloading {src} => {dst}"));
            // The destination may be a file or a directory (trailing
            // slash); make sure its directory exists.
            let dir = if dst.ends_with('/') {
                if !src.ends_with('/') {
                    let base = src.rsplit('/').next().unwrap_or(src);
                    dst = format!("{dst}{base}");
                }
                PathBuf::from(&self.destination)
            } else {
                Path::new(&dst)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            };
            let dir = ctx.cwd.join(dir);
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| BuildError::Step(format!("creating {}: {e}", dir.display())))?;
            let local = ctx.cwd.join(&dst);
            if src.ends_with('/') {
                // As Packer 1.6.6 does (scp -r): the remote directory itself
                // lands inside the destination directory, which is created.
                tokio::fs::create_dir_all(&local)
                    .await
                    .map_err(|e| BuildError::Step(format!("creating {}: {e}", local.display())))?;
                let src = if src.len() > 1 {
                    src.trim_end_matches('/')
                } else {
                    src
                };
                comm.download_dir(src, &local, &[])
                    .await
                    .map_err(|e| failed(ctx, "Download", e))?;
                continue;
            }
            download_file(comm, src, &local)
                .await
                .map_err(|e| failed(ctx, "Download", e))?;
        }
        Ok(())
    }
}

/// Download into a temporary beside `local`, then rename: a failed
/// download leaves nothing half-written.
async fn download_file(comm: &dyn Communicator, src: &str, local: &Path) -> Result<(), CommError> {
    let name = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = local.with_file_name(format!(".{name}.kiln-{}", std::process::id()));
    let io = |e: std::io::Error| CommError::Transfer(format!("writing {}: {e}", local.display()));
    let result = async {
        let mut f = tokio::fs::File::create(&tmp).await.map_err(io)?;
        comm.download(src, &mut f).await?;
        f.sync_all().await.map_err(io)?;
        drop(f);
        tokio::fs::rename(&tmp, local).await.map_err(io)
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

fn failed(ctx: &ProvisionContext<'_>, what: &str, e: CommError) -> BuildError {
    let msg = format!("{what} failed: {e}");
    ctx.ui.error(&msg);
    BuildError::Step(msg)
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    0o644
}

#[async_trait]
impl Provisioner for FileProvisioner {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError> {
        let comm = ctx.communicator.clone().ok_or_else(|| {
            BuildError::Step(format!(
                "{WHAT}: the build has no communicator (communicator = \"none\"); nothing to {} with",
                if self.direction == Direction::Upload { "upload" } else { "download" }
            ))
        })?;
        match self.direction {
            Direction::Upload => tokio::select! {
                r = self.upload(ctx, &*comm) => r,
                _ = ctx.cancel.cancelled() => Err(BuildError::Cancelled),
            },
            Direction::Download => tokio::select! {
                r = self.download(ctx, &*comm) => r,
                _ = ctx.cancel.cancelled() => Err(BuildError::Cancelled),
            },
        }
    }
}
