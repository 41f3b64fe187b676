//! The `checksum` and `artifice` post-processors: digests equal
//! coreutils' `*sum` output, Packer's `HASH\tFILENAME` lines, appending,
//! output templates, artifacts; artifice's globs.

mod pp_support;

use std::path::{Path, PathBuf};

use pp_support::*;

fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/a.bin"), noise(1_500_000, 11)).unwrap();
    std::fs::write(dir.path().join("b.txt"), "bee\n").unwrap();
    dir
}

#[tokio::test]
async fn every_type_matches_coreutils() {
    let dir = scratch();
    let types = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];
    let (r, _) = Run::new(dir.path())
        .process(
            "checksum",
            &[("checksum_types", list(&types))],
            &["sub/a.bin", "b.txt"],
        )
        .await;
    let p = r.unwrap();
    assert!(p.keep_input);
    assert_eq!(p.artifact.builder_id(), "packer.post-processor.checksum");
    let mut want_files: Vec<PathBuf> = vec!["sub/a.bin".into(), "b.txt".into()];
    for t in types {
        let name = format!("packer_hello_file_{t}.checksum");
        want_files.push(name.clone().into());
        let ours = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        // coreutils prints "HASH  PATH"; Packer's file is "HASH\tBASENAME".
        let sums = String::from_utf8(sh(dir.path(), &format!("{t}sum sub/a.bin b.txt"))).unwrap();
        let want: String = sums
            .lines()
            .map(|l| {
                let (hash, path) = l.split_once("  ").unwrap();
                let base = Path::new(path).file_name().unwrap().to_string_lossy();
                format!("{hash}\t{base}\n")
            })
            .collect();
        assert_eq!(ours, want, "{t}");
    }
    assert_eq!(p.artifact.files(), want_files);
}

#[tokio::test]
async fn default_is_md5_and_files_append_across_runs() {
    let dir = scratch();
    let run = Run::new(dir.path());
    let (r, _) = run.process("checksum", &[], &["b.txt"]).await;
    let first = r.unwrap();
    assert_eq!(
        first.artifact.files(),
        vec![
            PathBuf::from("b.txt"),
            "packer_hello_file_md5.checksum".into()
        ]
    );
    let (r, _) = run.process("checksum", &[], &["b.txt"]).await;
    // Packer appends, and lists only checksum files it created.
    assert_eq!(r.unwrap().artifact.files(), vec![PathBuf::from("b.txt")]);
    let text = std::fs::read_to_string(dir.path().join("packer_hello_file_md5.checksum")).unwrap();
    let md5 = String::from_utf8(sh(dir.path(), "md5sum b.txt")).unwrap();
    let line = format!("{}\tb.txt\n", &md5[..32]);
    assert_eq!(text, line.repeat(2));
    assert_eq!(
        listing(dir.path()),
        ["b.txt", "packer_hello_file_md5.checksum", "sub"],
        "no temporaries left"
    );
}

#[tokio::test]
async fn output_template_with_checksum_type_and_directories() {
    let dir = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "checksum",
            &[
                ("checksum_types", list(&["sha256", "sha1"])),
                ("output", s("sums/{{.BuildName}}.{{.ChecksumType}}")),
            ],
            &["b.txt"],
        )
        .await;
    let p = r.unwrap();
    assert_eq!(
        p.artifact.files(),
        vec![
            PathBuf::from("b.txt"),
            "sums/hello.sha256".into(),
            "sums/hello.sha1".into()
        ]
    );
    assert!(std::fs::read_to_string(dir.path().join("sums/hello.sha1"))
        .unwrap()
        .ends_with("\tb.txt\n"));
}

#[tokio::test]
async fn one_output_for_all_types_collects_every_line() {
    let dir = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "checksum",
            &[
                ("checksum_types", list(&["md5", "sha256"])),
                ("output", s("SUMS")),
            ],
            &["sub/a.bin", "b.txt"],
        )
        .await;
    r.unwrap();
    let text = std::fs::read_to_string(dir.path().join("SUMS")).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0].split('\t').next().unwrap().len(), 32);
    assert_eq!(lines[2].split('\t').next().unwrap().len(), 64);
}

#[tokio::test]
async fn unknown_type_and_missing_file_are_clear_errors() {
    let dir = scratch();
    let (r, _) = Run::new(dir.path())
        .process(
            "checksum",
            &[("checksum_types", list(&["crc32"]))],
            &["b.txt"],
        )
        .await;
    let e = r.unwrap_err().to_string();
    // The component's description rejects it, as `kiln validate` does.
    assert!(
        e.contains("The value \"crc32\" is not valid for \"checksum_types\""),
        "{e}"
    );
    let (r, _) = Run::new(dir.path())
        .process("checksum", &[], &["nope.bin"])
        .await;
    let e = r.unwrap_err().to_string();
    assert!(e.contains("nope.bin"), "{e}");
    assert!(!dir.path().join("packer_hello_file_md5.checksum").exists());
}

#[tokio::test]
async fn artifice_replaces_the_artifact_with_globbed_files() {
    let dir = scratch();
    std::fs::write(dir.path().join("sub/c.bin"), "c").unwrap();
    let (r, said) = Run::new(dir.path())
        .process(
            "artifice",
            &[("files", list(&["sub/*.bin", "b.txt", "none-*.x"]))],
            &["b.txt"],
        )
        .await;
    let p = r.unwrap();
    assert!(p.keep_input);
    assert_eq!(p.artifact.builder_id(), "packer.post-processor.artifice");
    assert_eq!(
        p.artifact.files(),
        vec![
            PathBuf::from("sub/a.bin"),
            "sub/c.bin".into(),
            "b.txt".into()
        ]
    );
    assert!(
        said.iter()
            .any(|m| m.contains("Discarding files from artifact: b.txt")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m.contains("Using these artifact files: sub/a.bin, sub/c.bin, b.txt")),
        "{said:?}"
    );
    assert!(said.iter().any(|m| m.contains("none-*.x")), "{said:?}");
}

#[tokio::test]
async fn artifice_needs_files() {
    let dir = scratch();
    let (r, _) = Run::new(dir.path())
        .process("artifice", &[], &["b.txt"])
        .await;
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("The argument \"files\" is required, but no definition was found."),
        "{e}"
    );
}
