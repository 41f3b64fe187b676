//! `kiln build` records each build's `hcp_packer_registry` settings in
//! the manifest (`kiln_registry`, an extra field of the build entry that
//! Packer's readers ignore), so kiln-app's registry intake knows the
//! bucket, labels and channels; builds without the block write Packer's
//! bytes. Packer 1.6.6 appends to such a manifest without complaint.

use std::path::Path;
use std::process::{Command, Output};

use kiln_lang::images::parse_manifest;
use serde_json::Value;

fn kiln(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("HCP_PACKER_BUCKET_NAME");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run kiln")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const TEMPLATE: &str = r#"
source "file" "web" {
  content = "web image"
  target  = "web.txt"
}
source "file" "db" {
  content = "db image"
  target  = "db.txt"
}
source "null" "plain" {
  communicator = "none"
}
locals {
  team = "platform"
}
build {
  name    = "images"
  sources = ["source.file.web", "source.file.db"]
  hcp_packer_registry {
    bucket_name   = "golden-base"
    description   = <<EOT
Base images for every service.
EOT
    bucket_labels = { team = local.team, os = "ubuntu" }
    build_labels  = { "os-version" = "22.04", patch = 3 }
    channels      = ["latest", "staging", "latest"]
  }
  post-processor "manifest" {
    output      = "manifest.json"
    custom_data = { owner = "ops", source_image = "ami-parent0001" }
  }
}
build {
  name    = "named-only"
  sources = ["source.null.plain"]
  hcp_packer_registry {
    labels = { legacy = "yes" }
  }
  post-processor "manifest" {
    output = "manifest.json"
  }
}
build {
  sources = ["source.null.plain"]
  post-processor "manifest" {
    output = "manifest.json"
  }
}
"#;

fn entries(dir: &Path) -> Vec<Value> {
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    m["builds"].as_array().expect("builds").clone()
}

fn by_name<'a>(entries: &'a [Value], name: &str, btype: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["name"] == name && e["builder_type"] == btype)
        .unwrap_or_else(|| panic!("no {btype}.{name} in {entries:#?}"))
}

#[test]
fn manifest_entries_carry_the_builds_registry_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.pkr.hcl"), TEMPLATE).unwrap();
    let out = kiln(
        dir.path(),
        &["build", "-color=false", "-parallel-builds=1", "t.pkr.hcl"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = entries(dir.path());
    assert_eq!(all.len(), 4, "{all:#?}");
    for name in ["web", "db"] {
        let e = by_name(&all, name, "file");
        assert_eq!(
            e["kiln_registry"],
            serde_json::json!({
                "bucket_name": "golden-base",
                "description": "Base images for every service.",
                "bucket_labels": {"os": "ubuntu", "team": "platform"},
                "build_labels": {"os-version": "22.04", "patch": "3"},
                "channels": ["latest", "staging"],
            }),
            "{e:#}"
        );
        // The user's custom_data is untouched, Packer's fields are there.
        assert_eq!(
            e["custom_data"],
            serde_json::json!({"owner": "ops", "source_image": "ami-parent0001"})
        );
        assert_eq!(e["files"][0]["name"], format!("{name}.txt"));
    }
    // A block without bucket_name: the build block's name is the bucket
    // (Packer's default), the deprecated `labels` are bucket labels.
    let named = all
        .iter()
        .find(|e| e["kiln_registry"]["bucket_name"] == "named-only")
        .unwrap_or_else(|| panic!("{all:#?}"));
    assert_eq!(
        named["kiln_registry"],
        serde_json::json!({"bucket_name": "named-only", "bucket_labels": {"legacy": "yes"}})
    );
    // The build without a block writes exactly Packer's fields, in
    // Packer's order.
    let plain: Vec<&Value> = all
        .iter()
        .filter(|e| e.get("kiln_registry").is_none())
        .collect();
    assert_eq!(plain.len(), 1, "{all:#?}");
    let keys: Vec<&str> = plain[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    let mut want = vec![
        "artifact_id",
        "build_time",
        "builder_type",
        "custom_data",
        "files",
        "name",
        "packer_run_uuid",
    ];
    want.sort_unstable();
    assert_eq!(sorted, want);
    let raw = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    let first = &raw[raw.find("\"name\": \"web\"").expect("web entry")..];
    let pos = |k: &str| first.find(k).unwrap_or(usize::MAX);
    assert!(
        pos("\"custom_data\"") < pos("\"kiln_registry\"")
            && pos("\"packer_run_uuid\"") < pos("\"custom_data\""),
        "kiln_registry comes after Packer's fields:\n{raw}"
    );
    // Read back by the engine (kiln bump, kiln-app) with the settings.
    let m = parse_manifest(raw.as_bytes()).expect("parse");
    let web = m.last_run().find(|e| e.name == "web").expect("web");
    let reg = web.kiln_registry.as_ref().expect("registry");
    assert_eq!(reg.channels, vec!["latest", "staging"]);
    assert_eq!(reg.bucket_name.as_deref(), Some("golden-base"));

    // A second run appends and keeps the first run's settings.
    let out = kiln(
        dir.path(),
        &[
            "build",
            "-color=false",
            "-only=images.file.web",
            "t.pkr.hcl",
        ],
        &[("HCP_PACKER_BUCKET_NAME", "from-env")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = entries(dir.path());
    assert_eq!(all.len(), 5);
    assert!(all[0]["kiln_registry"]["bucket_name"].is_string());
    let last = all.last().unwrap();
    assert_eq!(last["name"], "web");
    // HCP_PACKER_BUCKET_NAME overrides bucket_name, as in Packer.
    assert_eq!(last["kiln_registry"]["bucket_name"], "from-env");
    let kept = all
        .iter()
        .filter(|e| e["kiln_registry"]["bucket_name"] == "golden-base")
        .count();
    assert_eq!(kept, 2, "{all:#?}");
}

#[test]
fn channels_are_validated_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let t = "source \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\"]\n  hcp_packer_registry {\n    bucket_name = \"ok-bucket\"\n    channels    = [\"latest\", \"no/slash\"]\n    build_labels = { nested = { a = 1 } }\n  }\n}\n";
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let out = kiln(dir.path(), &["validate", "t.pkr.hcl"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("channel \"no/slash\" is invalid"), "{all}");
    assert!(all.contains("t.pkr.hcl line 8"), "{all}");
    assert!(
        all.contains("build_labels[\"nested\"] must be a string"),
        "{all}"
    );
    assert!(all.contains("t.pkr.hcl line 9"), "{all}");
    // Not a list.
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        t.replace("[\"latest\", \"no/slash\"]", "\"latest\"")
            .replace("{ nested = { a = 1 } }", "{ a = \"b\" }"),
    )
    .unwrap();
    let out = kiln(dir.path(), &["validate", "t.pkr.hcl"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("channels must be a list of channel names, not string"),
        "{all}"
    );
    // Valid channels validate.
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        t.replace("\"no/slash\"", "\"release-1.2\"")
            .replace("{ nested = { a = 1 } }", "{ a = \"b\" }"),
    )
    .unwrap();
    let out = kiln(dir.path(), &["validate", "t.pkr.hcl"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Whether packer 1.6.6 runs; fails under KILN_REQUIRE_PACKER.
fn packer_available() -> bool {
    let ok = Command::new("packer")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PACKER").is_none(),
        "KILN_REQUIRE_PACKER is set but `packer` is not on PATH"
    );
    if !ok {
        eprintln!("skipping: packer is not installed");
    }
    ok
}

/// Packer's own manifest post-processor reads a kiln manifest with
/// `kiln_registry` entries (its JSON decoder ignores the field) and
/// appends to it.
#[test]
fn packer_appends_to_a_manifest_with_registry_settings() {
    if !packer_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.pkr.hcl"), TEMPLATE).unwrap();
    let out = kiln(
        dir.path(),
        &[
            "build",
            "-color=false",
            "-only=images.file.web",
            "t.pkr.hcl",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let p = dir.path().join("p.pkr.hcl");
    std::fs::write(
        &p,
        "source \"file\" \"pk\" {\n  content = \"x\"\n  target = \"pk.txt\"\n}\nbuild {\n  sources = [\"source.file.pk\"]\n  post-processor \"manifest\" {\n    output = \"manifest.json\"\n  }\n}\n",
    )
    .unwrap();
    let out = Command::new("packer")
        .args(["build", "-color=false"])
        .arg(&p)
        .current_dir(dir.path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("PACKER_CONFIG_DIR", dir.path().join(".packer.d"))
        .env("HOME", dir.path())
        .output()
        .expect("run packer");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = entries(dir.path());
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0]["name"], "web");
    assert_eq!(all[0]["files"][0]["name"], "web.txt");
    assert_eq!(all[1]["name"], "pk");
}
