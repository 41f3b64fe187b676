//! The manifest a registry version stands for: its builds grouped back
//! into Packer manifest entries (`TYPE.NAME`, and for regional builders an
//! `artifact_id` of `region:id` pairs), so `kiln_lang::bump::plan`
//! reads the registry exactly as it reads `packer-manifest.json`.

use std::collections::BTreeMap;

use kiln_lang::manifest::{ManifestEntry, ManifestFile};

use crate::registry::model::Version;

/// `(builder type, build name)` → `(region, external id)` of each image.
type ByBuild = BTreeMap<(String, String), Vec<(Option<String>, String)>>;

/// A manifest with one entry per build of `v`.
pub fn manifest_of(v: &Version) -> ManifestFile {
    let mut by_build: ByBuild = BTreeMap::new();
    for b in &v.builds {
        let builder_type = b
            .component_type
            .strip_suffix(&format!(".{}", b.build_name))
            .unwrap_or(&b.component_type)
            .to_string();
        by_build
            .entry((builder_type, b.build_name.clone()))
            .or_default()
            .push((b.region.clone(), b.external_id.clone()));
    }
    let run = format!("registry-{}", v.fingerprint);
    let builds = by_build
        .into_iter()
        .map(|((builder_type, name), images)| {
            let artifact_id = images
                .iter()
                .map(|(region, id)| match region {
                    Some(r) => format!("{r}:{id}"),
                    None => id.clone(),
                })
                .collect::<Vec<_>>()
                .join(",");
            ManifestEntry {
                name,
                builder_type,
                artifact_id,
                packer_run_uuid: run.clone(),
                ..ManifestEntry::default()
            }
        })
        .collect();
    ManifestFile {
        builds,
        last_run_uuid: run,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::model::Build;

    fn build(region: Option<&str>, id: &str) -> Build {
        Build {
            component_type: "amazon-ebs.ubuntu".into(),
            build_name: "ubuntu".into(),
            platform: "aws".into(),
            region: region.map(str::to_string),
            external_id: id.into(),
            labels: BTreeMap::new(),
            created_at: String::new(),
        }
    }

    #[test]
    fn regional_builds_become_one_artifact_id() {
        let v = Version {
            bucket_name: "ubuntu".into(),
            fingerprint: "abc".into(),
            git_sha: "abc".into(),
            repo: "o/r".into(),
            run_id: None,
            labels: BTreeMap::new(),
            source_image: None,
            parent: None,
            created_at: String::new(),
            revoked: false,
            revoke_at: None,
            revoke_reason: None,
            builds: vec![
                build(Some("eu-west-1"), "ami-2"),
                build(Some("us-east-1"), "ami-1"),
            ],
            images: BTreeMap::new(),
        };
        let m = manifest_of(&v);
        assert_eq!(m.builds.len(), 1);
        assert_eq!(m.builds[0].type_and_name(), "amazon-ebs.ubuntu");
        assert_eq!(m.builds[0].artifact_id, "eu-west-1:ami-2,us-east-1:ami-1");
        let images = m.builds[0].images().unwrap_or_default();
        assert_eq!(images.len(), 2);
    }
}
