//! What a Packer manifest says was built: the manifest file read back with
//! located errors, and each build's `artifact_id` split into the images it
//! names (Amazon's `region:ami-…,region:ami-…`, a Docker image id, a file).
//! Shared by `kiln bump` and kiln-app's registry.

use crate::manifest::{ManifestEntry, ManifestFile};

/// A manifest that could not be read, with the 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ManifestError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// serde_json's message.
    pub message: String,
}

/// An `artifact_id` that does not have its builder's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("build {build:?} ({builder_type}): artifact_id {artifact_id:?}: {reason}")]
pub struct ArtifactIdError {
    /// The build's `name` in the manifest.
    pub build: String,
    /// Its `builder_type`.
    pub builder_type: String,
    /// The `artifact_id` as written.
    pub artifact_id: String,
    /// What shape was expected.
    pub reason: String,
}

/// One image a build produced: where (a region, for builders that build
/// per region) and its external id (`ami-…`, `sha256:…`, a path).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Image {
    /// The region; `None` for builders that do not build per region (Docker, file).
    pub region: Option<String>,
    /// The image's id: an AMI id, a Docker image id, a path.
    pub id: String,
}

/// Reads a manifest file's bytes (Packer's `packer-manifest.json`).
pub fn parse_manifest(bytes: &[u8]) -> Result<ManifestFile, ManifestError> {
    serde_json::from_slice(bytes).map_err(|e| ManifestError {
        line: e.line().max(1),
        column: e.column().max(1),
        message: e.to_string(),
    })
}

/// Builders whose artifact id lists `region:id` pairs joined by commas.
fn is_regional(builder_type: &str) -> bool {
    builder_type.starts_with("amazon-")
        || matches!(builder_type, "alicloud-ecs" | "tencentcloud-cvm")
}

impl ManifestFile {
    /// The entries of the latest run (`last_run_uuid`), or all entries
    /// when the manifest does not name its last run.
    pub fn last_run(&self) -> impl Iterator<Item = &ManifestEntry> {
        let last = self.last_run_uuid.as_str();
        self.builds
            .iter()
            .filter(move |b| last.is_empty() || b.packer_run_uuid == last)
    }
}

impl ManifestEntry {
    /// `TYPE.NAME`, how `-only` and kiln's configuration name a build.
    pub fn type_and_name(&self) -> String {
        format!("{}.{}", self.builder_type, self.name)
    }

    /// The images this build's `artifact_id` names.
    pub fn images(&self) -> Result<Vec<Image>, ArtifactIdError> {
        let fail = |reason: &str| ArtifactIdError {
            build: self.name.clone(),
            builder_type: self.builder_type.clone(),
            artifact_id: self.artifact_id.clone(),
            reason: reason.to_string(),
        };
        let id = self.artifact_id.trim();
        if id.is_empty() {
            return Err(fail("empty"));
        }
        if !is_regional(&self.builder_type) {
            return Ok(vec![Image {
                region: None,
                id: id.to_string(),
            }]);
        }
        let mut images = Vec::new();
        for pair in id.split(',') {
            let Some((region, image)) = pair.trim().split_once(':') else {
                return Err(fail("expected region:id pairs separated by commas"));
            };
            let (region, image) = (region.trim(), image.trim());
            if region.is_empty() || image.is_empty() || image.contains(':') {
                return Err(fail("expected region:id pairs separated by commas"));
            }
            if images
                .iter()
                .any(|i: &Image| i.region.as_deref() == Some(region))
            {
                return Err(fail(&format!("region {region} appears twice")));
            }
            images.push(Image {
                region: Some(region.to_string()),
                id: image.to_string(),
            });
        }
        Ok(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(builder_type: &str, artifact_id: &str) -> ManifestEntry {
        ManifestEntry {
            name: "ubuntu".into(),
            builder_type: builder_type.into(),
            artifact_id: artifact_id.into(),
            ..ManifestEntry::default()
        }
    }

    #[test]
    fn amazon_artifact_ids_split_into_regions() {
        let images = entry("amazon-ebs", "eu-west-1:ami-0b1,us-east-1:ami-0a2")
            .images()
            .unwrap();
        assert_eq!(
            images,
            vec![
                Image {
                    region: Some("eu-west-1".into()),
                    id: "ami-0b1".into()
                },
                Image {
                    region: Some("us-east-1".into()),
                    id: "ami-0a2".into()
                },
            ]
        );
    }

    #[test]
    fn other_builders_name_one_image() {
        let id = "sha256:4a5c1d2e";
        let images = entry("docker", id).images().unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].region, None);
        assert_eq!(images[0].id, id);
    }

    #[test]
    fn malformed_amazon_ids_are_errors() {
        for bad in [
            "ami-123",
            "us-east-1:",
            ":ami-1",
            "a:b:c",
            "r:ami-1,r:ami-2",
            "",
        ] {
            let err = entry("amazon-ebs", bad).images().unwrap_err();
            assert_eq!(err.artifact_id, bad, "{err}");
        }
    }

    #[test]
    fn manifest_errors_are_located() {
        let err = parse_manifest(b"{\n  \"builds\": [\n    {\"name\": 3}\n  ]\n}").unwrap_err();
        assert_eq!((err.line, err.column > 1), (3, true), "{err}");
    }

    #[test]
    fn last_run_filters_by_uuid() {
        let text = br#"{"builds":[
            {"name":"a","builder_type":"null","artifact_id":"x","packer_run_uuid":"old"},
            {"name":"b","builder_type":"null","artifact_id":"y","packer_run_uuid":"new"}],
            "last_run_uuid":"new"}"#;
        let m = parse_manifest(text).unwrap();
        let names: Vec<_> = m.last_run().map(|b| b.type_and_name()).collect();
        assert_eq!(names, vec!["null.b"]);
    }

    #[test]
    fn registry_settings_round_trip_after_packers_fields() {
        let mut e = entry("file", "File");
        e.packer_run_uuid = "r".into();
        let plain = ManifestFile {
            builds: vec![e.clone()],
            last_run_uuid: "r".into(),
        }
        .to_packer_json()
        .unwrap();
        let text = String::from_utf8(plain).unwrap();
        assert!(!text.contains("kiln_registry"), "{text}");
        e.kiln_registry = Some(crate::manifest::ManifestRegistry {
            bucket_name: Some("golden".into()),
            channels: vec!["latest".into()],
            ..Default::default()
        });
        let bytes = ManifestFile {
            builds: vec![e.clone()],
            last_run_uuid: "r".into(),
        }
        .to_packer_json()
        .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let at = |k: &str| text.find(k).unwrap_or(usize::MAX);
        assert!(at("\"custom_data\"") < at("\"kiln_registry\""), "{text}");
        assert!(
            !text.contains("build_labels"),
            "empty fields left out: {text}"
        );
        let back = parse_manifest(&bytes).unwrap();
        assert_eq!(back.builds[0], e);
    }
}
