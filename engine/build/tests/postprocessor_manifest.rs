//! The `manifest` post-processor: Packer's exact bytes, appending across
//! runs, strip_path/strip_time/custom_data, many parallel writers losing
//! nothing, and a full disk leaving the old manifest whole.

mod pp_support;

use std::sync::Arc;

use kiln_lang::manifest::ManifestFile;
use kiln_sdk::artifact::{FileArtifact, NullArtifact};
use pp_support::*;

fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/hello.txt"), "hello\n").unwrap();
    dir
}

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[tokio::test]
async fn bytes_are_packers() {
    let dir = scratch();
    let (r, said) = Run::new(dir.path())
        .process(
            "manifest",
            &[("strip_time", kiln_lang::template::Value::Bool(true))],
            &["out/hello.txt"],
        )
        .await;
    let p = r.unwrap();
    assert!(p.keep_input);
    assert_eq!(p.artifact.id(), "File");
    assert!(said.is_empty(), "Packer's manifest says nothing: {said:?}");
    // Go's json.MarshalIndent of Packer's structs: this order, two spaces,
    // build_time omitted when zero, custom_data null, no final newline.
    assert_eq!(
        read(dir.path(), "packer-manifest.json"),
        r#"{
  "builds": [
    {
      "name": "hello",
      "builder_type": "file",
      "files": [
        {
          "name": "out/hello.txt",
          "size": 6
        }
      ],
      "artifact_id": "File",
      "packer_run_uuid": "11111111-2222-3333-4444-555555555555",
      "custom_data": null
    }
  ],
  "last_run_uuid": "11111111-2222-3333-4444-555555555555"
}"#
    );
}

#[tokio::test]
async fn appends_across_runs_with_strip_path_and_custom_data() {
    let dir = scratch();
    let mut run = Run::new(dir.path());
    let pairs = [
        ("output", s("m/manifest.json")),
        ("strip_path", kiln_lang::template::Value::Bool(true)),
        (
            "custom_data",
            map(&[("who", "{{.BuildName}} on <ci> & co"), ("a", "1")]),
        ),
    ];
    run.process("manifest", &pairs, &["out/hello.txt"])
        .await
        .0
        .unwrap();
    run.run_uuid = "99999999-2222-3333-4444-555555555555";
    run.build_name = "second";
    let null = Arc::new(NullArtifact);
    run.process_artifact("manifest", &pairs, null)
        .await
        .0
        .unwrap();
    let text = read(dir.path(), "m/manifest.json");
    let m: ManifestFile = serde_json::from_str(&text).unwrap();
    assert_eq!(m.builds.len(), 2);
    assert_eq!(m.builds[0].name, "hello");
    assert_eq!(m.builds[0].files[0].name, "hello.txt", "strip_path");
    assert_eq!(
        m.builds[0].packer_run_uuid,
        "11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(m.builds[1].name, "second");
    assert_eq!(m.builds[1].artifact_id, "Null");
    assert_eq!(m.last_run_uuid, "99999999-2222-3333-4444-555555555555");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - m.builds[1].build_time).abs() < 600,
        "build_time is now"
    );
    // Go's escapes and map order; a build without files has "files": null.
    assert!(
        text.contains("\"custom_data\": {\n        \"a\": \"1\",\n        \"who\": \"second on \\u003cci\\u003e \\u0026 co\"\n      }"),
        "{text}"
    );
    assert!(text.contains("\"files\": null"), "{text}");
    assert_eq!(
        listing(&dir.path().join("m")),
        ["manifest.json"],
        "no lock or temp left"
    );
}

#[tokio::test]
async fn a_manifest_that_is_not_json_is_a_clear_error_and_kept() {
    let dir = scratch();
    std::fs::write(dir.path().join("packer-manifest.json"), "{not json").unwrap();
    let (r, _) = Run::new(dir.path())
        .process("manifest", &[], &["out/hello.txt"])
        .await;
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("Unable to parse content from packer-manifest.json"),
        "{e}"
    );
    assert_eq!(read(dir.path(), "packer-manifest.json"), "{not json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_writers_lose_no_entry() {
    let dir = scratch();
    let path = dir.path().to_path_buf();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("b{i}");
            let mut run = Run::new(&path);
            run.build_name = &name;
            let input = Arc::new(FileArtifact {
                builder_id: "packer.file".into(),
                files: vec!["out/hello.txt".into()],
            });
            run.process_artifact("manifest", &[], input)
                .await
                .0
                .map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let m: ManifestFile = serde_json::from_str(&read(dir.path(), "packer-manifest.json")).unwrap();
    let mut names: Vec<_> = m.builds.iter().map(|b| b.name.clone()).collect();
    names.sort();
    let mut want: Vec<_> = (0..24).map(|i| format!("b{i}")).collect();
    want.sort();
    assert_eq!(names, want);
    assert_eq!(listing(dir.path()), ["out", "packer-manifest.json"]);
}

#[tokio::test]
async fn disk_full_keeps_the_old_manifest_whole() {
    let Some(fs) = TinyFs::mount(64) else {
        return;
    };
    let dir = scratch();
    let out = fs.path().join("packer-manifest.json");
    let out_s = out.to_str().unwrap().to_string();
    let run = Run::new(dir.path());
    run.process("manifest", &[("output", s(&out_s))], &["out/hello.txt"])
        .await
        .0
        .unwrap();
    let before = std::fs::read(&out).unwrap();
    fs.fill();
    let (r, _) = run
        .process("manifest", &[("output", s(&out_s))], &["out/hello.txt"])
        .await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains(&format!("Unable to write {out_s}")), "{e}");
    assert!(e.contains("No space left on device"), "{e}");
    assert_eq!(std::fs::read(&out).unwrap(), before, "old manifest intact");
    assert_eq!(listing(fs.path()), ["fill", "packer-manifest.json"]);
}
