//! The `checksum` post-processor: one `HASH\tFILENAME` line per artifact
//! file and checksum type, appended to the file its `output` template
//! names (Packer's default `packer_{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.checksum`).
//! Files are hashed as a stream; checksum files are replaced atomically.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::artifacts::FileListArtifact;
use super::output::{self, AtomicFile};
use kiln_lang::template::model::Component;
use kiln_sdk::artifact::Artifact;
use kiln_sdk::postprocessor::{PostProcessor, Processed};
use kiln_sdk::provisioner::ProvisionContext;
use kiln_sdk::{BuildError, CancelToken, Settings};

const DEFAULT_OUTPUT: &str = "packer_{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.checksum";

/// A checksum algorithm Packer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumType {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl ChecksumType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "md5" => ChecksumType::Md5,
            "sha1" => ChecksumType::Sha1,
            "sha224" => ChecksumType::Sha224,
            "sha256" => ChecksumType::Sha256,
            "sha384" => ChecksumType::Sha384,
            "sha512" => ChecksumType::Sha512,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ChecksumType::Md5 => "md5",
            ChecksumType::Sha1 => "sha1",
            ChecksumType::Sha224 => "sha224",
            ChecksumType::Sha256 => "sha256",
            ChecksumType::Sha384 => "sha384",
            ChecksumType::Sha512 => "sha512",
        }
    }

    /// The lowercase hex digest of a stream, read in chunks.
    pub fn hex_digest(
        self,
        reader: &mut dyn Read,
        cancel: &CancelToken,
    ) -> std::io::Result<String> {
        fn run<D: Digest + Write>(
            mut d: D,
            reader: &mut dyn Read,
            cancel: &CancelToken,
        ) -> std::io::Result<String> {
            output::copy_cancellable(reader, &mut d, cancel)?;
            Ok(d.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>())
        }
        match self {
            ChecksumType::Md5 => run(Md5::new(), reader, cancel),
            ChecksumType::Sha1 => run(Sha1::new(), reader, cancel),
            ChecksumType::Sha224 => run(Sha224::new(), reader, cancel),
            ChecksumType::Sha256 => run(Sha256::new(), reader, cancel),
            ChecksumType::Sha384 => run(Sha384::new(), reader, cancel),
            ChecksumType::Sha512 => run(Sha512::new(), reader, cancel),
        }
    }
}

#[derive(Debug)]
pub struct Checksum {
    types: Vec<ChecksumType>,
    output: String,
}

impl Checksum {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("checksum post-processor", c)?;
        let names = match c.config.get("checksum_types") {
            None | Some(kiln_lang::template::Value::Null) => vec!["md5".to_string()],
            Some(_) => s.string_list("checksum_types")?,
        };
        let mut types = Vec::new();
        let mut bad = Vec::new();
        for n in &names {
            match ChecksumType::parse(n) {
                Some(t) => types.push(t),
                None => bad.push(format!("Unrecognized checksum type: {n}")),
            }
        }
        if !bad.is_empty() {
            return Err(BuildError::config(format!(
                "checksum post-processor: {}",
                bad.join("; ")
            )));
        }
        let output = s
            .string("output")?
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| DEFAULT_OUTPUT.to_string());
        Ok(Checksum { types, output })
    }
}

#[async_trait]
impl PostProcessor for Checksum {
    async fn post_process(
        &self,
        ctx: &ProvisionContext<'_>,
        input: Arc<dyn Artifact>,
    ) -> Result<Processed, BuildError> {
        let files = input.files();
        // Lines per checksum file, in Packer's order (type, then file).
        let mut plan: Vec<(PathBuf, Vec<(ChecksumType, PathBuf)>)> = Vec::new();
        for t in &self.types {
            let target = PathBuf::from(output::render(
                "checksum post-processor",
                "output",
                &self.output,
                ctx,
                &[("ChecksumType", t.name())],
            )?);
            for f in &files {
                match plan.iter_mut().find(|(p, _)| *p == target) {
                    Some((_, items)) => items.push((*t, f.clone())),
                    None => plan.push((target.clone(), vec![(*t, f.clone())])),
                }
            }
        }
        let cwd = ctx.cwd.to_path_buf();
        let cancel = ctx.cancel.clone();
        let created = tokio::task::spawn_blocking(move || write_all(&cwd, &plan, &cancel))
            .await
            .map_err(|e| BuildError::Step(format!("checksum task failed: {e}")))??;
        let mut all = files;
        all.extend(created);
        // Packer forces keeping the input: the checksums describe it.
        Ok(Processed {
            artifact: Arc::new(FileListArtifact {
                builder_id: "packer.post-processor.checksum",
                files: all,
            }),
            keep_input: true,
            force_keep: true,
        })
    }
}

/// Hash every file and append the lines to each checksum file (Packer
/// appends to an existing one); returns the checksum files that are new.
fn write_all(
    cwd: &Path,
    plan: &[(PathBuf, Vec<(ChecksumType, PathBuf)>)],
    cancel: &CancelToken,
) -> Result<Vec<PathBuf>, BuildError> {
    let mut digests: BTreeMap<(usize, usize), String> = BTreeMap::new();
    for (pi, (_, items)) in plan.iter().enumerate() {
        for (ii, (t, f)) in items.iter().enumerate() {
            let path = output::resolve(cwd, f);
            let mut file = std::fs::File::open(&path).map_err(|e| {
                BuildError::Step(format!("unable to open file {}: {e}", f.display()))
            })?;
            let hex = t.hex_digest(&mut file, cancel).map_err(|e| {
                if cancel.is_cancelled() {
                    BuildError::Cancelled
                } else {
                    BuildError::Step(format!(
                        "unable to compute {} hash for {}: {e}",
                        t.name(),
                        f.display()
                    ))
                }
            })?;
            digests.insert((pi, ii), hex);
        }
    }
    let mut created = Vec::new();
    for (pi, (target, items)) in plan.iter().enumerate() {
        let path = output::resolve(cwd, target);
        let existing = match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(BuildError::Step(format!(
                    "unable to read {}: {e}",
                    target.display()
                )))
            }
        };
        let mut text = existing.clone().unwrap_or_default();
        for (ii, (_, f)) in items.iter().enumerate() {
            let base = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let hex = digests.get(&(pi, ii)).map(String::as_str).unwrap_or("");
            text.extend_from_slice(format!("{hex}\t{base}\n").as_bytes());
        }
        let write = || -> std::io::Result<()> {
            let mut out = AtomicFile::create(&path)?;
            out.write_all(&text)?;
            out.commit()
        };
        write().map_err(|e| {
            BuildError::Step(format!("unable to create file {}: {e}", target.display()))
        })?;
        if existing.is_none() {
            created.push(target.clone());
        }
    }
    Ok(created)
}
