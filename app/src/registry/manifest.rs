//! A Packer manifest → the versions to record: the builds of its last run,
//! grouped by bucket, each `artifact_id` split into images by
//! `kiln_lang::images`.
//!
//! What an entry is recorded as, when `kiln build` wrote the build's
//! `hcp_packer_registry` settings into it (`kiln_registry`):
//!
//! | setting | rule |
//! | --- | --- |
//! | bucket | the block's `bucket_name` > the configured bucket (`.github/kiln.yml` `registry.bucket`, or the API request's `bucket`) > the build's name |
//! | version labels | the configured `labels`, then the block's `bucket_labels` over them (the template wins on the same key) |
//! | build labels | the entry's `custom_data`, then the block's `build_labels` over them |
//! | channels | the block's `channels` when it sets any, else the configured `channel` |
//!
//! Several entries of one bucket make one version: their labels merge (in
//! manifest order) and their channels add up.

use std::collections::BTreeMap;

use kiln_lang::images::{parse_manifest, ArtifactIdError, ManifestError};

use super::model::{platform_of, NewBuild, NewVersion};

/// Where a manifest came from and what to record it as.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub repo: String,
    pub git_sha: String,
    /// Defaults to the git SHA.
    pub fingerprint: Option<String>,
    /// One bucket for every build (default: one per build name).
    pub bucket: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub channel: Option<String>,
    pub run_id: Option<i64>,
    /// Commit time (Unix ms) ordering versions for channel updates.
    pub commit_order: i64,
    pub source_image: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestIntakeError {
    #[error("manifest {0}")]
    Json(#[from] ManifestError),
    #[error("manifest: {0}")]
    ArtifactId(#[from] ArtifactIdError),
    #[error("manifest has no builds")]
    Empty,
    #[error("invalid {field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

/// A bucket, channel or fingerprint name: 1–128 characters of
/// `A-Za-z0-9._-` (they appear in URL paths).
pub fn check_name(field: &'static str, s: &str) -> Result<(), ManifestIntakeError> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ManifestIntakeError::Field {
            field,
            message: format!("{s:?} must be 1-128 characters of A-Z a-z 0-9 . _ -"),
        })
    }
}

/// `owner/name`.
pub fn check_repo(s: &str) -> Result<(), ManifestIntakeError> {
    match s.split_once('/') {
        Some((o, n)) if check_name("repo", o).is_ok() && check_name("repo", n).is_ok() => Ok(()),
        _ => Err(ManifestIntakeError::Field {
            field: "repo",
            message: format!("{s:?} is not owner/name"),
        }),
    }
}

/// The versions a manifest's bytes describe.
pub fn versions(bytes: &[u8], p: &Provenance) -> Result<Vec<NewVersion>, ManifestIntakeError> {
    check_repo(&p.repo)?;
    check_name("sha", &p.git_sha)?;
    let fingerprint = p.fingerprint.clone().unwrap_or_else(|| p.git_sha.clone());
    check_name("fingerprint", &fingerprint)?;
    if let Some(b) = &p.bucket {
        check_name("bucket", b)?;
    }
    if let Some(c) = &p.channel {
        check_name("channel", c)?;
    }
    let manifest = parse_manifest(bytes)?;
    let mut by_bucket: BTreeMap<String, NewVersion> = BTreeMap::new();
    for entry in manifest.last_run() {
        let block = entry.kiln_registry.clone().unwrap_or_default();
        let bucket = match (&block.bucket_name, &p.bucket) {
            (Some(b), _) => {
                check_name("bucket (hcp_packer_registry bucket_name)", b)?;
                b.clone()
            }
            (None, Some(b)) => b.clone(),
            (None, None) => {
                check_name("bucket (the build's name)", &entry.name)?;
                entry.name.clone()
            }
        };
        for c in &block.channels {
            check_name("channel (hcp_packer_registry channels)", c)?;
        }
        let mut custom = entry.custom_data.clone().unwrap_or_default();
        custom.extend(block.build_labels.clone());
        let v = by_bucket
            .entry(bucket.clone())
            .or_insert_with(|| NewVersion {
                bucket,
                repo: p.repo.clone(),
                fingerprint: fingerprint.clone(),
                git_sha: p.git_sha.clone(),
                run_id: p.run_id,
                commit_order: p.commit_order,
                labels: p.labels.clone(),
                source_image: p.source_image.clone(),
                builds: Vec::new(),
                channels: Vec::new(),
            });
        v.labels.extend(block.bucket_labels.clone());
        let channels = if block.channels.is_empty() {
            p.channel.iter().cloned().collect()
        } else {
            block.channels.clone()
        };
        for c in channels {
            if !v.channels.contains(&c) {
                v.channels.push(c);
            }
        }
        if v.source_image.is_none() {
            v.source_image = custom.get("source_image").cloned();
        }
        for img in entry.images()? {
            v.builds.push(NewBuild {
                component_type: entry.type_and_name(),
                build_name: entry.name.clone(),
                platform: platform_of(&entry.builder_type),
                region: img.region,
                external_id: img.id,
                packer_run: entry.packer_run_uuid.clone(),
                labels: custom.clone(),
            });
        }
    }
    if by_bucket.is_empty() {
        return Err(ManifestIntakeError::Empty);
    }
    Ok(by_bucket.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_builds_by_bucket_and_region() {
        let m = br#"{"builds":[
          {"name":"ubuntu","builder_type":"amazon-ebs","artifact_id":"us-east-1:ami-1,eu-west-1:ami-2","packer_run_uuid":"r1","custom_data":{"source_image":"ami-0"}},
          {"name":"web","builder_type":"docker","artifact_id":"sha256:abc","packer_run_uuid":"r1"},
          {"name":"old","builder_type":"null","artifact_id":"x","packer_run_uuid":"r0"}],
          "last_run_uuid":"r1"}"#;
        let p = Provenance {
            repo: "o/r".into(),
            git_sha: "abc123".into(),
            ..Provenance::default()
        };
        let v = versions(m, &p).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].bucket, "ubuntu");
        assert_eq!(v[0].fingerprint, "abc123");
        assert_eq!(v[0].source_image.as_deref(), Some("ami-0"));
        assert_eq!(v[0].builds.len(), 2);
        assert_eq!(v[0].builds[0].platform, "aws");
        assert_eq!(v[1].builds[0].region, None);
        let bad = versions(b"{\n \"builds\": 3\n}", &p).unwrap_err();
        assert!(bad.to_string().starts_with("manifest 2:"), "{bad}");
        let mut p2 = p.clone();
        p2.bucket = Some("../x".into());
        assert!(versions(m, &p2).is_err());
    }

    #[test]
    fn registry_block_wins_over_config_and_labels_merge() {
        let m = br#"{"builds":[
          {"name":"web","builder_type":"file","artifact_id":"File","packer_run_uuid":"r",
           "custom_data":{"owner":"ops","os-version":"20.04"},
           "kiln_registry":{"bucket_name":"golden","bucket_labels":{"team":"tpl"},
             "build_labels":{"os-version":"22.04"},"channels":["latest","qa"]}},
          {"name":"db","builder_type":"null","artifact_id":"x","packer_run_uuid":"r"}],
          "last_run_uuid":"r"}"#;
        let p = Provenance {
            repo: "o/r".into(),
            git_sha: "abc".into(),
            bucket: Some("configured".into()),
            channel: Some("stable".into()),
            labels: BTreeMap::from([
                ("team".to_string(), "cfg".to_string()),
                ("env".to_string(), "prod".to_string()),
            ]),
            ..Provenance::default()
        };
        let v = versions(m, &p).unwrap();
        let names: Vec<_> = v.iter().map(|v| v.bucket.as_str()).collect();
        assert_eq!(names, ["configured", "golden"]);
        let golden = &v[1];
        assert_eq!(golden.channels, ["latest", "qa"]);
        assert_eq!(golden.labels["team"], "tpl");
        assert_eq!(golden.labels["env"], "prod");
        assert_eq!(golden.builds[0].labels["os-version"], "22.04");
        assert_eq!(golden.builds[0].labels["owner"], "ops");
        // Without a block: the configured bucket, channel and labels.
        assert_eq!(v[0].channels, ["stable"]);
        assert_eq!(v[0].labels["team"], "cfg");
        let bad = String::from_utf8_lossy(m).replace("\"qa\"", "\"q/a\"");
        let e = versions(bad.as_bytes(), &p).unwrap_err().to_string();
        assert!(e.contains("channel (hcp_packer_registry channels)"), "{e}");
    }
}
