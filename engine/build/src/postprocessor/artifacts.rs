//! The artifacts the built-in post-processors produce, with Packer's
//! builder ids and descriptions.

use std::path::PathBuf;

use kiln_sdk::artifact::Artifact;

/// The `compress` post-processor's archive.
#[derive(Debug, Clone, PartialEq)]
pub struct CompressArtifact {
    pub path: PathBuf,
}

impl Artifact for CompressArtifact {
    fn builder_id(&self) -> &str {
        "packer.post-processor.compress"
    }
    fn id(&self) -> String {
        String::new()
    }
    fn files(&self) -> Vec<PathBuf> {
        vec![self.path.clone()]
    }
    fn description(&self) -> String {
        format!("compressed artifacts in: {}", self.path.display())
    }
    fn destroy(&self) -> Result<(), String> {
        kiln_sdk::artifact::remove_files(std::slice::from_ref(&self.path))
    }
}

/// A list of files (`checksum`: the input files and the checksum files;
/// `artifice`: the files it was told about).
#[derive(Debug, Clone, PartialEq)]
pub struct FileListArtifact {
    pub builder_id: &'static str,
    pub files: Vec<PathBuf>,
}

impl Artifact for FileListArtifact {
    fn builder_id(&self) -> &str {
        self.builder_id
    }
    fn id(&self) -> String {
        String::new()
    }
    fn files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }
    fn description(&self) -> String {
        format!(
            "Created artifact from files: {}",
            self.files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}
