//! What a build produces: the `Artifact` seam Packer defines, and the
//! artifact kinds of the built-in builders.

use std::fmt::Debug;
use std::path::PathBuf;

/// A build's result, handed to post-processors and listed at the end of a
/// run (`--> NAME: STRING`). Object-safe.
pub trait Artifact: Debug + Send + Sync {
    /// The id of the builder or post-processor that made it (Packer's
    /// `BuilderId`, e.g. `packer.file`), written to the manifest.
    fn builder_id(&self) -> &str;
    /// The artifact id (an AMI map, an image id, a path…).
    fn id(&self) -> String;
    /// Local files that make up the artifact.
    fn files(&self) -> Vec<PathBuf>;
    /// The human description shown after "Builds finished".
    fn description(&self) -> String;
    /// Remove what the artifact is made of, when a post-processor chain no
    /// longer needs it (Packer's `Destroy`). The default keeps everything:
    /// only artifacts that own their files delete them.
    fn destroy(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Remove files an artifact owns; a file already gone is not an error.
pub fn remove_files(files: &[PathBuf]) -> Result<(), String> {
    for f in files {
        match std::fs::remove_file(f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", f.display())),
        }
    }
    Ok(())
}

/// An artifact made of local files (the `file` builder, `compress`…).
#[derive(Debug, Clone, PartialEq)]
pub struct FileArtifact {
    /// The producing component's id (Packer's `BuilderId`, e.g.
    /// `packer.file`), recorded in the manifest.
    pub builder_id: String,
    /// The artifact's files (absolute or relative to the working directory).
    pub files: Vec<PathBuf>,
}

impl Artifact for FileArtifact {
    fn builder_id(&self) -> &str {
        &self.builder_id
    }
    /// Packer's file builder says "File" (the manifest's `artifact_id`).
    fn id(&self) -> String {
        "File".to_string()
    }
    fn files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }
    fn destroy(&self) -> Result<(), String> {
        remove_files(&self.files)
    }
    fn description(&self) -> String {
        match self.files.as_slice() {
            [one] => format!("Stored file: {}", one.display()),
            many => format!(
                "Stored files:\n{}",
                many.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }
}

/// The `null` builder's artifact: nothing was exported.
#[derive(Debug, Clone, PartialEq)]
pub struct NullArtifact;

impl Artifact for NullArtifact {
    fn builder_id(&self) -> &str {
        "fnoeding.null"
    }
    fn id(&self) -> String {
        "Null".to_string()
    }
    fn files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    fn description(&self) -> String {
        "Did not export anything. This is the null builder".to_string()
    }
}
