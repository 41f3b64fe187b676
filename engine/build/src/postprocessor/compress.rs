//! The `compress` post-processor: puts the artifact's files in one
//! archive (tar, zip) and/or compression stream (gzip, zstd, lz4, bgzf, xz), chosen
//! from the output name like Packer. The archive is streamed (bounded
//! memory) into a temporary beside the output and renamed into place when
//! complete; on failure or cancellation nothing is left behind.

mod bgzf;
mod format;
mod stream;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use self::format::{Algorithm, Archive};
use self::stream::{Compressor, Input, Output};
use super::artifacts::CompressArtifact;
use super::output::{self, AtomicFile};
use kiln_lang::template::model::Component;
use kiln_lang::template::Value;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, CancelToken, Settings};

const DEFAULT_OUTPUT: &str = "packer_{{.BuildName}}_{{.BuilderType}}";
/// Packer's default (flate's `DefaultCompression`).
const DEFAULT_LEVEL: i32 = 6;
const COMPONENT: &str = "compress post-processor";

#[derive(Debug)]
pub struct Compress {
    output: String,
    archive: Archive,
    algorithm: Algorithm,
    level: i32,
}

impl Compress {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of(COMPONENT, c)?;
        let output = s
            .string("output")?
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| DEFAULT_OUTPUT.to_string());
        let format = s.string("format")?;
        let (archive, algorithm) = format::detect(&output, format.as_deref());
        let level = match c.config.get("compression_level") {
            None | Some(Value::Null) => DEFAULT_LEVEL,
            Some(v) => match v.as_f64() {
                Some(n) if n.fract() == 0.0 && n >= -1.0 => n as i32,
                _ => {
                    return Err(BuildError::config(format!(
                        "{COMPONENT}: invalid value for \"compression_level\": Invalid compression level. Expected an integer from -1 to 9."
                    )))
                }
            },
        };
        // Like Packer: above 9 means 9, -1 and 0 mean the default.
        let level = match level {
            -1 | 0 => DEFAULT_LEVEL,
            l => l.min(9),
        };
        Ok(Compress {
            output,
            archive,
            algorithm,
            level,
        })
    }
}

#[async_trait]
impl PostProcessor for Compress {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let target = PathBuf::from(output::render(COMPONENT, "output", &self.output, ctx, &[])?);
        let files = input.files();
        if self.archive == Archive::None && files.len() != 1 {
            return Err(BuildError::Step(format!(
                "Can only have 1 input file when not using tar/zip. Found {} files: [{}]",
                files.len(),
                files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        let compression = self.algorithm.packer_name();
        match self.algorithm {
            Algorithm::None => {}
            Algorithm::Xz => ctx.ui.say(format!(
                "Using xz compression with 1 core for {} (library does not support MT)",
                target.display()
            )),
            _ => ctx.ui.say(format!(
                "Using {} compression with 1 cores for {}",
                compression,
                target.display()
            )),
        }
        match self.archive {
            Archive::Tar => ctx
                .ui
                .say(format!("Tarring {} with {compression}", target.display())),
            Archive::Zip => ctx.ui.say(format!("Zipping {}", target.display())),
            Archive::None => ctx.ui.say(format!(
                "Archiving {} with {compression}",
                files[0].display()
            )),
        }
        let job = Job {
            cwd: ctx.cwd.to_path_buf(),
            target: target.clone(),
            files,
            archive: self.archive,
            algorithm: self.algorithm,
            level: self.level,
            cancel: ctx.cancel.clone(),
        };
        let cancel = ctx.cancel.clone();
        let result = tokio::task::spawn_blocking(move || job.run())
            .await
            .map_err(|e| BuildError::Step(format!("compress task failed: {e}")))?;
        if let Err(e) = result {
            if cancel.is_cancelled() {
                return Err(BuildError::Cancelled);
            }
            return Err(BuildError::Step(e));
        }
        ctx.ui
            .say(format!("Archive {} completed", target.display()));
        Ok(Processed {
            artifact: Arc::new(CompressArtifact { path: target }),
            keep_input: false,
            force_keep: false,
        })
    }
}

/// Everything the blocking writer needs.
struct Job {
    cwd: PathBuf,
    target: PathBuf,
    files: Vec<PathBuf>,
    archive: Archive,
    algorithm: Algorithm,
    level: i32,
    cancel: CancelToken,
}

impl Job {
    fn run(self) -> Result<(), String> {
        let path = output::resolve(&self.cwd, &self.target);
        let file = AtomicFile::create(&path)
            .map_err(|e| format!("Unable to create archive {}: {e}", self.target.display()))?;
        let out = Output {
            file,
            name: self.target.clone(),
        };
        let out = match self.archive {
            Archive::Zip => self
                .zip(out)
                .map_err(|e| format!("Error creating zip: {e}"))?,
            Archive::Tar => {
                let w = Compressor::new(self.algorithm, out, self.level).map_err(|e| {
                    format!(
                        "error creating {} writer: {e}",
                        self.algorithm.packer_name()
                    )
                })?;
                let w = self
                    .tar(w)
                    .map_err(|e| format!("Error creating tar: {e}"))?;
                w.finish().map_err(|e| format!("Error creating tar: {e}"))?
            }
            Archive::None => {
                let mut w = Compressor::new(self.algorithm, out, self.level).map_err(|e| {
                    format!(
                        "error creating {} writer: {e}",
                        self.algorithm.packer_name()
                    )
                })?;
                let name = &self.files[0];
                let fail = |e: io::Error| format!("Failed to compress {}: {e}", name.display());
                let mut src = self.open(name).map_err(|e| {
                    format!(
                        "Failed to open source file {} for reading: {e}",
                        name.display()
                    )
                })?;
                io::copy(&mut src, &mut w).map_err(fail)?;
                w.finish().map_err(fail)?
            }
        };
        out.file
            .commit()
            .map_err(|e| format!("writing {}: {e}", self.target.display()))
    }

    fn open(&self, name: &Path) -> io::Result<Input<File>> {
        Ok(Input {
            inner: File::open(output::resolve(&self.cwd, name))?,
            name: name.to_path_buf(),
            cancel: self.cancel.clone(),
        })
    }

    /// GNU tar entries named by base name, times zeroed (as Packer does,
    /// for importers that only take GNU tar).
    fn tar(&self, w: Compressor) -> io::Result<Compressor> {
        let mut builder = tar::Builder::new(w);
        for name in &self.files {
            let src = self.open(name).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("Unable to read file {}: {e}", name.display()),
                )
            })?;
            let meta = src.inner.metadata()?;
            let mut header = tar::Header::new_gnu();
            header.set_size(meta.len());
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mtime(0);
            {
                use std::os::unix::fs::MetadataExt;
                header.set_mode(meta.mode() & 0o7777);
                header.set_uid(u64::from(meta.uid()));
                header.set_gid(u64::from(meta.gid()));
            }
            let base = name
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| name.clone());
            builder.append_data(&mut header, &base, src).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("Failed to copy {} data to archive: {e}", name.display()),
                )
            })?;
        }
        builder.into_inner()
    }

    /// Zip entries named by the path as given (Packer's `ToSlash(path)`),
    /// deflated.
    fn zip(&self, out: Output) -> io::Result<Output> {
        let mut zip = zip::ZipWriter::new(out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(i64::from(self.level)));
        for name in &self.files {
            let mut src = self.open(name).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("Unable to read file {}: {e}", name.display()),
                )
            })?;
            let options = options.large_file(src.inner.metadata()?.len() >= u64::from(u32::MAX));
            let entry = name.to_string_lossy().replace('\\', "/");
            let entry = entry.trim_start_matches('/');
            zip.start_file(entry, options).map_err(|e| {
                io::Error::other(format!(
                    "Failed to add zip header for {}: {e}",
                    name.display()
                ))
            })?;
            io::copy(&mut src, &mut zip).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("Failed to copy {} data to archive: {e}", name.display()),
                )
            })?;
        }
        let mut out = zip.finish().map_err(io::Error::other)?;
        out.flush()?;
        Ok(out)
    }
}
