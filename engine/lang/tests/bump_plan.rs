//! `kiln_lang::bump::plan` as kiln-app calls it (no I/O): file contents
//! in, new texts and change records out. The CLI's golden tests
//! (`action/tests/bump_cli.rs`) cover the file shapes; these cover the
//! records, the table and the rules a pull request depends on.

use std::collections::BTreeMap;

use kiln_lang::bump::{self, BumpError, BumpPlan, BumpTarget, Change};
use kiln_lang::images::parse_manifest;
use kiln_lang::manifest::ManifestFile;

const MANIFEST: &str = r#"{
  "builds": [
    {
      "name": "ubuntu",
      "builder_type": "amazon-ebs",
      "build_time": 1732575600,
      "files": null,
      "artifact_id": "eu-west-1:ami-0e55555555555555e,us-east-1:ami-0f66666666666666f",
      "packer_run_uuid": "r2",
      "custom_data": null
    },
    {
      "name": "ubuntu",
      "builder_type": "docker",
      "build_time": 1732575600,
      "files": null,
      "artifact_id": "sha256:4a5c1d2e",
      "packer_run_uuid": "r2",
      "custom_data": null
    },
    {
      "name": "app",
      "builder_type": "docker",
      "build_time": 1732575600,
      "files": null,
      "artifact_id": "sha256:\"quoted\"${x}",
      "packer_run_uuid": "r2",
      "custom_data": null
    }
  ],
  "last_run_uuid": "r2"
}"#;

fn manifest() -> ManifestFile {
    parse_manifest(MANIFEST.as_bytes()).unwrap()
}

fn targets(yaml: &str) -> Vec<BumpTarget> {
    bump::parse_config(yaml).unwrap().bump
}

fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn plan(yaml: &str, list: &[(&str, &str)]) -> Result<BumpPlan, BumpError> {
    bump::plan(&manifest(), &targets(yaml), &files(list))
}

const MAP: &str = "amis = {\n  us-east-1 = \"ami-old1\"\n  eu-west-1 = \"ami-0e55555555555555e\"\n  sa-east-1 = \"ami-old3\"\n}\n";

#[test]
fn records_and_table_for_a_pull_request() {
    let p = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: '*.tfvars', variable: amis}\n",
        &[("a.tfvars", MAP)],
    )
    .unwrap();
    assert_eq!(
        p.changes,
        vec![Change {
            target: 0,
            build: "amazon-ebs.ubuntu".into(),
            file: "a.tfvars".into(),
            line: 2,
            variable: "amis".into(),
            region: Some("us-east-1".into()),
            old: "ami-old1".into(),
            new: "ami-0f66666666666666f".into(),
        }]
    );
    assert_eq!(p.unchanged.len(), 1);
    assert_eq!(p.unchanged[0].region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        p.markdown_table(),
        "| file | variable | region | old | new | build |\n| --- | --- | --- | --- | --- | --- |\n\
         | `a.tfvars` | `amis` | us-east-1 | `ami-old1` | `ami-0f66666666666666f` | `amazon-ebs.ubuntu` |\n"
    );
    assert_eq!(
        p.diff(),
        "--- old/a.tfvars\n+++ new/a.tfvars\n@@ -1,5 +1,5 @@\n amis = {\n-  us-east-1 = \"ami-old1\"\n+  us-east-1 = \"ami-0f66666666666666f\"\n   eu-west-1 = \"ami-0e55555555555555e\"\n   sa-east-1 = \"ami-old3\"\n }\n"
    );
}

#[test]
fn region_restricts_a_map_to_one_key() {
    let p = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: '*.tfvars', variable: amis, region: eu-west-1}\n",
        &[("a.tfvars", MAP)],
    )
    .unwrap();
    assert!(p.is_empty() && p.changes.is_empty(), "{p:?}");
    assert_eq!(p.unchanged.len(), 1);
}

#[test]
fn a_map_without_built_regions_is_an_error() {
    let err = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: '*.tfvars', variable: amis}\n",
        &[("a.tfvars", "amis = { ap-east-1 = \"x\" }\n")],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.tfvars:1:8: bump[0]: map \"amis\" has no key for a region build amazon-ebs.ubuntu has images in (eu-west-1, us-east-1); its keys: ap-east-1"
    );
}

#[test]
fn builds_without_regions_take_plain_strings_only() {
    let p = plan(
        "bump:\n  - {build: docker.ubuntu, files: '*.tf', variable: image}\n",
        &[(
            "v.tf",
            "variable \"image\" {\n  default = \"sha256:old\"\n}\n",
        )],
    )
    .unwrap();
    assert_eq!(
        p.files[0].new,
        "variable \"image\" {\n  default = \"sha256:4a5c1d2e\"\n}\n"
    );
    assert_eq!(p.changes[0].region, None);
    let err = plan(
        "bump:\n  - {build: docker.ubuntu, files: '*.tf', variable: image, region: us-east-1}\n",
        &[(
            "v.tf",
            "variable \"image\" {\n  default = \"sha256:old\"\n}\n",
        )],
    )
    .unwrap_err();
    assert!(
        matches!(err, BumpError::NotRegional { ref at, .. } if at.line == 2),
        "{err}"
    );
    let err = plan(
        "bump:\n  - {build: docker.ubuntu, files: '*.tfvars', variable: amis}\n",
        &[("a.tfvars", MAP)],
    )
    .unwrap_err();
    assert!(matches!(err, BumpError::NotRegional { .. }), "{err}");
}

#[test]
fn a_name_shared_by_two_builder_types_is_ambiguous() {
    let err = plan(
        "bump:\n  - {build: ubuntu, files: '*.tfvars', variable: amis}\n",
        &[("a.tfvars", MAP)],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bump[0]: build \"ubuntu\" matches amazon-ebs.ubuntu, docker.ubuntu; name one as TYPE.NAME"
    );
}

#[test]
fn ids_are_written_as_escaped_literals() {
    let p = plan(
        "bump:\n  - {build: app, files: '*.tfvars', variable: image}\n",
        &[("a.tfvars", "image = \"old\"\n")],
    )
    .unwrap();
    assert_eq!(p.files[0].new, "image = \"sha256:\\\"quoted\\\"$${x}\"\n");
    assert_eq!(p.changes[0].new, "sha256:\"quoted\"${x}");
}

#[test]
fn the_same_value_named_twice_is_edited_once() {
    let p = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: '*.tfvars', variable: ami, region: us-east-1}\n  - {build: amazon-ebs.ubuntu, files: 'a.tfvars', variable: ami, region: us-east-1}\n",
        &[("a.tfvars", "ami = \"x\"\n"), ("notes.md", "ami = \"x\"\n")],
    )
    .unwrap();
    assert_eq!(p.files.len(), 1);
    assert_eq!(p.changes.len(), 1);
    assert_eq!(p.files[0].new, "ami = \"ami-0f66666666666666f\"\n");
}

#[test]
fn unmatched_files_are_not_parsed() {
    // A broken file no target matches is none of the bump's business.
    let p = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: 'live/*.tfvars', variable: ami, region: us-east-1}\n",
        &[("live/a.tfvars", "ami = \"x\"\n"), ("other/b.tfvars", "ami = {\n")],
    )
    .unwrap();
    assert_eq!(p.changes.len(), 1);
}

#[test]
fn table_cells_escape_pipes() {
    let p = BumpPlan {
        changes: vec![Change {
            target: 0,
            build: "file.x".into(),
            file: "a.tfvars".into(),
            line: 1,
            variable: "v".into(),
            region: None,
            old: "a|b".into(),
            new: "c".into(),
        }],
        ..BumpPlan::default()
    };
    assert_eq!(
        p.markdown_table().lines().nth(2),
        Some("| `a.tfvars` | `v` | — | `a\\|b` | `c` | `file.x` |")
    );
}

#[test]
fn errors_expose_location_and_target() {
    let err = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: '*.tfvars', variable: ami, region: us-east-1}\n",
        &[("a.tfvars", "x = 1\nami = {\n")],
    )
    .unwrap_err();
    let at = err.location().cloned();
    assert_eq!(
        at.map(|l| (l.file, l.line)),
        Some(("a.tfvars".to_string(), 2))
    );
    assert_eq!(err.target(), None);
    let err = plan(
        "bump:\n  - {build: amazon-ebs.ubuntu, files: '*.tfvars', variable: ami, region: us-east-1}\n  - {build: nope, files: '*.tfvars', variable: ami}\n",
        &[("a.tfvars", "ami = \"x\"\n")],
    )
    .unwrap_err();
    assert_eq!((err.location(), err.target()), (None, Some(1)));
}
